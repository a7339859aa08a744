"""Proof of life for long runs: a thread that stamps the run's row while the work goes on.

A worker killed by SIGKILL or a lost machine cannot mark its run failed; its heartbeat just
stops. The periodic sweeps find such runs: `model_version_sweep` queues a retrain again,
`replay_sweep` marks a replay failed so the project can start another.
A thread, rather than calls sprinkled through training, keeps beating through any one long
step (an epoch on a big pool, an encoder pass) without the learner knowing about Django.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models
from django.utils import timezone

from labeling.models import ModelVersion, StrategyReplay


@contextmanager
def model_version_heartbeat(*, model_version_id: int, every_seconds: float) -> Iterator[None]:
    """Stamp the retrain's `heartbeat_at` now and every `every_seconds` until the block ends."""
    with _heartbeat(ModelVersion, model_version_id, every_seconds):
        yield


@contextmanager
def replay_heartbeat(*, replay_id: int, every_seconds: float) -> Iterator[None]:
    """Stamp the replay's `heartbeat_at` now and every `every_seconds` until the block ends."""
    with _heartbeat(StrategyReplay, replay_id, every_seconds):
        yield


@contextmanager
def _heartbeat(model: type[models.Model], pk: int, every_seconds: float) -> Iterator[None]:
    stop = threading.Event()
    rows = model._default_manager.filter(pk=pk)

    def beat() -> None:
        try:
            while not stop.wait(every_seconds):
                rows.filter(status="running").update(heartbeat_at=timezone.now())
        finally:
            connection.close()  # this thread's own connection

    rows.update(heartbeat_at=timezone.now())
    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
