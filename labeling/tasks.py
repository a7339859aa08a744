"""Celery adapters: claim the run by id, call a service, record a failure. No business logic here.

Tasks live in labeling/ rather than learner/ because they read and write Django rows;
learner/ stays a plain library that installs and runs without Django. Nothing else imports this
module: services send tasks by name through labeling.queue.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from labeling.models import EmbeddingRun, EmbeddingSet, ModelVersion, StrategyReplay
from labeling.services.adaptation import adaptation_views_compute
from labeling.services.cold_start import cold_start_order_by_typicality
from labeling.services.embedding_runs import (
    embedding_run_claim,
    embedding_run_continue,
    embedding_run_fail,
    embedding_run_finish,
    embedding_run_sweep,
)
from labeling.services.embeddings import embeddings_compute, prefix_maps_compute
from labeling.services.orphans import orphan_artifacts_sweep
from labeling.services.replays import replay_claim, replay_fail, replay_run, replay_sweep
from labeling.services.runs import run_heartbeat
from labeling.services.training import (
    model_version_claim,
    model_version_fail,
    model_version_run,
    model_version_sweep,
)

logger = logging.getLogger(__name__)


def _stale_after() -> timedelta:
    return timedelta(seconds=settings.RETRAIN_STALE_AFTER_SECONDS)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def model_version_train(model_version_id: int) -> None:
    """Train on the project's labels, score the unlabeled pool, publish the ranking."""
    version = model_version_claim(model_version_id=model_version_id)
    if version is None:
        logger.info("Model version %s is not queued any more; nothing to do.", model_version_id)
        return
    try:
        with run_heartbeat(ModelVersion, pk=version.pk, every_seconds=settings.RETRAIN_HEARTBEAT_SECONDS):
            model_version_run(model_version=version, device=settings.LEARNER_DEVICE)
    except Exception as exc:  # task boundary: record why the run failed, then stop
        logger.exception("Model version %s failed", model_version_id)
        model_version_fail(model_version_id=model_version_id, error=exc)


@shared_task
def model_version_sweep_stale() -> None:
    """Periodic: queue again the runs whose worker or message was lost."""
    result = model_version_sweep(stale_after=_stale_after(), max_attempts=settings.RETRAIN_MAX_ATTEMPTS)
    if result.requeued or result.failed:
        logger.warning("Sweep requeued model versions %s, gave up on %s", result.requeued, result.failed)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def embeddings_compute_task(project_id: int) -> None:
    """Embed the project's new items, a chunk per run; before the first model, put typical items first; then, for
    projects with contrastive adaptation, embed the augmented views of new pool images; for projects
    that fine-tune the last block, store the new images' prefix maps."""
    run = embedding_run_claim(project_id=project_id)
    if run is None:
        logger.info("Project %s has no queued embedding run; nothing to do.", project_id)
        return
    project, device = run.project, settings.LEARNER_DEVICE
    try:
        with run_heartbeat(EmbeddingRun, pk=run.pk, every_seconds=settings.RETRAIN_HEARTBEAT_SECONDS):
            chunk = embeddings_compute(project=project, device=device, limit=settings.EMBEDDING_CHUNK_ITEMS)
            if chunk.status == EmbeddingSet.Status.COMPUTING:  # more to embed: to the back of the queue, so a
                embedding_run_continue(run=run)  # retrain queued meanwhile runs before the next chunk
                return
            cold_start_order_by_typicality(project=project)
            adaptation_views_compute(project=project, device=device)
            prefix_maps_compute(project=project, device=device)
        embedding_run_finish(run=run)
    except Exception as exc:  # task boundary: record why, then stop
        logger.exception("Embedding project %s failed", project_id)
        embedding_run_fail(run=run, error=exc)


@shared_task
def embedding_run_sweep_stale() -> None:
    """Periodic: redo embedding runs whose worker or message was lost; give up after the attempt limit."""
    result = embedding_run_sweep(stale_after=_stale_after(), max_attempts=settings.RETRAIN_MAX_ATTEMPTS)
    if result.requeued or result.failed:
        logger.warning("Sweep requeued embedding runs %s, gave up on %s", result.requeued, result.failed)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def strategy_replay_task(replay_id: int) -> None:
    """Replay the project's labeling under each strategy; the live ranking is not touched."""
    replay = replay_claim(replay_id=replay_id)
    if replay is None:
        logger.info("Replay %s is not queued any more; nothing to do.", replay_id)
        return
    try:
        with run_heartbeat(StrategyReplay, pk=replay.pk, every_seconds=settings.RETRAIN_HEARTBEAT_SECONDS):
            replay_run(replay=replay, device=settings.LEARNER_DEVICE)
    except Exception as exc:  # task boundary: record why the replay failed, then stop
        logger.exception("Replay %s failed", replay_id)
        replay_fail(replay_id=replay_id, error=exc)


@shared_task
def strategy_replay_sweep_stale() -> None:
    """Periodic: free projects whose replay lost its worker; resend replays whose message was lost."""
    failed = replay_sweep(stale_after=_stale_after())
    if failed:
        logger.warning("Sweep failed replays %s whose worker was lost", failed)


@shared_task
def orphan_artifacts_sweep_stale() -> None:
    """Periodic: delete model and ranking files that crashed runs left and no model version names."""
    deleted = orphan_artifacts_sweep(min_age=timedelta(seconds=settings.ORPHAN_MIN_AGE_SECONDS))
    if deleted:
        logger.warning("Deleted %s orphaned artifact files: %s", len(deleted), deleted[:20])
