"""Proof of life for long runs: a thread that stamps the run's row while the work goes on.

A worker killed by SIGKILL or a lost machine cannot mark its run failed; its heartbeat just
stops. The periodic sweep (`model_version_sweep`) finds such runs and queues them again.
A thread, rather than calls sprinkled through training, keeps beating through any one long
step (an epoch on a big pool, an encoder pass) without the learner knowing about Django.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from labeling.models import ModelVersion


@contextmanager
def model_version_heartbeat(*, model_version_id: int, every_seconds: float) -> Iterator[None]:
    """Stamp `heartbeat_at` now and every `every_seconds` until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every_seconds):
                ModelVersion.objects.filter(pk=model_version_id, status=ModelVersion.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()  # this thread's own connection

    ModelVersion.objects.filter(pk=model_version_id).update(heartbeat_at=timezone.now())
    thread = threading.Thread(target=beat, name=f"heartbeat-{model_version_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
