"""An embedding run whose worker dies every time (an item that crashes the encoder, the OOM
killer) ends `failed` with the reason after the attempt limit, instead of being redelivered for ever.

Each round starts a worker on a queue of its own, sends it the project's embedding, SIGKILLs it
once it has claimed the run, and runs the sweep as celery beat would. A redelivered message finds
the run `running` and does nothing; only the sweep sends it again, and counts.
"""

import os
import signal
import time
from datetime import timedelta

import pytest

from config.celery import app
from labeling.models import EmbeddingRun, EmbeddingSet
from labeling.queue import EMBEDDINGS_COMPUTE
from labeling.services.embedding_runs import embedding_run_sweep
from labeling.services.runs import run_sweep
from tests.worker import purge_queues, start_worker, stop_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DOOMED_QUEUE = "doomed-embedding"
MAX_ATTEMPTS = 3


def _send_to_doomed(run: EmbeddingRun) -> None:
    app.send_task(EMBEDDINGS_COMPUTE, args=(run.project_id,), queue=DOOMED_QUEUE)


def _kill_once_claimed(run: EmbeddingRun, log_name: str, _isolated_files) -> None:
    worker = start_worker(_isolated_files / log_name, queues=(DOOMED_QUEUE,), name="doomed-embedding")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status == EmbeddingRun.Status.RUNNING:
                break
            time.sleep(0.01)
        else:
            pytest.fail(f"Embedding run {run.pk} stayed {run.status!r}")
        os.kill(worker.pid, signal.SIGKILL)  # mid-embedding: no chance to mark anything
        worker.wait(timeout=10)
    finally:
        stop_worker(worker)


def test_an_embedding_run_that_kills_its_worker_fails_after_the_attempt_limit(
    make_digits_project, _isolated_files, monkeypatch
):
    purge_queues((DOOMED_QUEUE,))
    # The import's own message goes to the doomed queue as well: a worker of the default queue left
    # running by an earlier test would otherwise embed the project before a doomed worker claims it.
    monkeypatch.setattr("labeling.queue.send", lambda task_name, run_id: bool(
        app.send_task(task_name, args=(run_id,), queue=DOOMED_QUEUE)))  # fmt: skip
    project = make_digits_project(per_class=30, encoder="efficientnet-lite0-112", name="poison")
    run = EmbeddingRun.objects.get(project=project)  # queued by the import, sent to the doomed queue

    for attempt in range(1, MAX_ATTEMPTS + 1):
        _kill_once_claimed(run, f"doomed-embedding-{attempt}.log", _isolated_files)
        run.refresh_from_db()
        assert (run.status, run.attempts) == ("running", attempt)
        if attempt < MAX_ATTEMPTS:  # the sweep redoes it, to the same kind of doomed worker
            swept = run_sweep(EmbeddingRun, stale_after=timedelta(0), max_attempts=MAX_ATTEMPTS,
                              send=_send_to_doomed, give_up_hint="")  # fmt: skip
            assert swept.requeued == [run.pk]

    swept = embedding_run_sweep(stale_after=timedelta(0), max_attempts=MAX_ATTEMPTS)

    run.refresh_from_db()
    assert swept.failed == [run.pk] and swept.requeued == []
    assert run.status == "failed" and "The worker was lost 3 times" in run.error
    assert set(EmbeddingSet.objects.filter(project=project).values_list("status", flat=True)) <= {"failed"}
    purge_queues((DOOMED_QUEUE,))  # nothing left to deliver: the run is over
