"""One lifecycle for every background run (ModelVersion, StrategyReplay, EmbeddingRun).

A run's row is the record; a broker message only triggers it. `run_claim` moves a queued row to
running with a conditional update, so a message delivered twice (or redelivered after its worker
died) is claimed once. `run_heartbeat` stamps the row from a thread while the work goes on; a
worker killed by SIGKILL or a lost machine just stops stamping. `run_sweep`, run periodically,
sends stale queued runs again (their message was lost) and redoes stale running ones (their
worker was lost) until `attempts` reaches the limit, then fails them with the reason, so a run
that kills every worker it meets cannot loop for ever. `run_fail` records why, under one
truncation rule (`error_text`).
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from labeling.models.runs import BackgroundRun

Run = TypeVar("Run", bound=BackgroundRun)
Status = BackgroundRun.Status

ERROR_MAX_CHARS = 4000


def error_text(error: BaseException | str) -> str:
    """What a failed run's `error` says: the exception's type and message, at most ERROR_MAX_CHARS.

    A longer text keeps its head and its tail (where a chained message names the failing call)
    and says how much was cut between them.
    """
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    if len(text) <= ERROR_MAX_CHARS:
        return text
    keep = (ERROR_MAX_CHARS - 48) // 2
    return f"{text[:keep]}\n… [{len(text) - 2 * keep} characters cut] …\n{text[-keep:]}"


def run_claim(model: type[Run], *, pk: int, **changes: Any) -> Run | None:
    """Move a queued run to running and count the attempt; None if it is not queued (another
    delivery claimed it, it ended, or the sweep is still to redo it). `changes` are set with it."""
    now = timezone.now()
    claimed = model._default_manager.filter(pk=pk, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, **changes
    )
    return model._default_manager.get(pk=pk) if claimed else None


def run_finish(model: type[BackgroundRun], *, pk: int, **changes: Any) -> bool:
    """Mark a running run done, with its results in `changes`; False if it left `running` meanwhile
    (failed by the sweep), so the caller can drop what it wrote."""
    return bool(
        model._default_manager.filter(pk=pk, status=Status.RUNNING).update(
            status=Status.DONE, finished_at=timezone.now(), **changes
        )
    )


def run_fail(model: type[BackgroundRun], *, pk: int, error: BaseException | str) -> bool:
    """Mark a queued or running run failed with the reason; False if it had already ended."""
    return bool(
        model._default_manager.filter(pk=pk, status__in=BackgroundRun.ACTIVE_STATUSES).update(
            status=Status.FAILED, error=error_text(error), finished_at=timezone.now()
        )
    )


@contextmanager
def run_heartbeat(model: type[BackgroundRun], *, pk: int, every_seconds: float) -> Iterator[None]:
    """Stamp the run's `heartbeat_at` now and every `every_seconds` until the block ends.

    A thread, rather than calls sprinkled through the work, keeps beating through any one long
    step (an epoch on a big pool, an encoder pass) without the learner knowing about Django.
    """
    stop = threading.Event()
    rows = model._default_manager.filter(pk=pk)

    def beat() -> None:
        try:
            while not stop.wait(every_seconds):
                rows.filter(status=Status.RUNNING).update(heartbeat_at=timezone.now())
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


@dataclass(frozen=True)
class SweepResult:
    requeued: list[int]  # ids of runs sent to the workers again
    failed: list[int]  # ids of runs given up after max_attempts


def run_sweep(
    model: type[Run], *, stale_after: timedelta, max_attempts: int, send: Callable[[Run], None], give_up_hint: str
) -> SweepResult:
    """Act on the model's runs whose last sign of life is older than `stale_after`.

    A stale queued run lost its message: it is sent again. A stale running run lost its worker:
    it goes back to queued and is sent again, unless it was claimed `max_attempts` times already;
    then it fails, saying so and `give_up_hint`. Each change is conditional on the row being as
    read, so a run that moved meanwhile is left alone, and a duplicate message is harmless since
    only one delivery can claim the row.
    """
    now = timezone.now()
    cutoff = now - stale_after
    result = SweepResult(requeued=[], failed=[])
    stale = model._default_manager.filter(status__in=BackgroundRun.ACTIVE_STATUSES).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    for run in stale:
        unchanged = model._default_manager.filter(pk=run.pk, status=run.status, heartbeat_at=run.heartbeat_at)
        if run.status == Status.RUNNING and run.attempts >= max_attempts:
            times = "once" if run.attempts == 1 else f"{run.attempts} times"
            error = f"The worker was lost {times} (no heartbeat for {stale_after}); {give_up_hint}"
            if unchanged.update(status=Status.FAILED, error=error_text(error), finished_at=now):
                result.failed.append(run.pk)
        elif unchanged.update(status=Status.QUEUED, heartbeat_at=now):
            result.requeued.append(run.pk)
            send(run)
    return result
