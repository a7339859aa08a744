"""The embedding task's run: request, claim, go round again after a chunk, finish, fail, sweep.

The lifecycle is labeling.services.runs, as for retrains and replays; what is particular here is
that a run covers the project (whatever items lack embeddings when it runs), so a request while
one waits adds nothing, and that a run which finished a chunk goes back to the queue's end so a
retrain queued meanwhile runs first.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from labeling.models import EmbeddingRun, EmbeddingSet, Project
from labeling.queue import enqueue_embeddings
from labeling.selectors.embeddings import prefix_set_name
from labeling.services.runs import SweepResult, error_text, run_claim, run_fail, run_finish, run_sweep


def embedding_run_request(*, project: Project) -> EmbeddingRun | None:
    """Queue the embedding of the project's new items after the current transaction commits; the
    run already waiting, if there is one; None for a project without an encoder."""
    if not project.encoder:
        return None
    waiting = EmbeddingRun.objects.filter(project=project, status=EmbeddingRun.Status.QUEUED).first()
    if waiting is not None:
        return waiting  # it embeds whatever lacks embeddings when it runs, these items too
    try:
        with transaction.atomic():
            run = EmbeddingRun.objects.create(project=project, heartbeat_at=timezone.now())
    except IntegrityError:  # a concurrent request queued one at the same moment
        return EmbeddingRun.objects.filter(project=project, status=EmbeddingRun.Status.QUEUED).first()
    enqueue_embeddings(project.pk)
    return run


def embedding_run_claim(*, project_id: int) -> EmbeddingRun | None:
    """Claim the project's queued run; None when there is none (a redelivered message whose run is
    running, or ended)."""
    waiting = EmbeddingRun.objects.filter(project_id=project_id, status=EmbeddingRun.Status.QUEUED).first()
    return run_claim(EmbeddingRun, pk=waiting.pk) if waiting is not None else None


def embedding_run_continue(*, run: EmbeddingRun) -> None:
    """A chunk is done and more items wait: back to the end of the queue, attempts cleared, since
    the worker finished its chunk. If a newer request is already waiting, that run carries on."""
    try:
        with transaction.atomic():
            moved = EmbeddingRun.objects.filter(pk=run.pk, status=EmbeddingRun.Status.RUNNING).update(
                status=EmbeddingRun.Status.QUEUED, attempts=0, heartbeat_at=timezone.now()
            )
    except IntegrityError:  # one queued per project: the waiting run takes over the rest
        run_finish(EmbeddingRun, pk=run.pk)
        return
    if moved:
        enqueue_embeddings(run.project_id)


def embedding_run_finish(*, run: EmbeddingRun) -> None:
    run_finish(EmbeddingRun, pk=run.pk)


def embedding_run_fail(*, run: EmbeddingRun, error: BaseException | str) -> None:
    """Fail the run and the project's embedding sets, which show the reason on the dashboard."""
    run_fail(EmbeddingRun, pk=run.pk, error=error)
    _sets_fail(run.project_id, error_text(error))


def embedding_run_sweep(*, stale_after: timedelta, max_attempts: int) -> SweepResult:
    """Redo embedding runs whose worker or message was lost; one that lost its worker
    `max_attempts` times (an item that kills the worker, say) fails, and so do its sets."""
    result = run_sweep(
        EmbeddingRun, stale_after=stale_after, max_attempts=max_attempts,
        send=lambda run: enqueue_embeddings(run.project_id),
        give_up_hint="gave up: an item may crash the encoder; see the worker's log.",
    )  # fmt: skip
    for run in EmbeddingRun.objects.filter(pk__in=result.failed):
        _sets_fail(run.project_id, run.error)
    return result


def _sets_fail(project_id: int, error: str) -> None:
    project = Project.objects.get(pk=project_id)
    names = [project.encoder, prefix_set_name(project.encoder)]
    sets = EmbeddingSet.objects.filter(project=project, encoder__in=names)
    sets.update(status=EmbeddingSet.Status.FAILED, error=error)
