"""Celery adapters: fetch by id, call a service, record a failure. No business logic here.

Tasks live in labeling/ rather than learner/ because they read and write Django rows;
learner/ stays a plain library that installs and runs without Django.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from labeling.models import EmbeddingSet, Project
from labeling.services.adaptation import adaptation_views_compute
from labeling.services.cold_start import cold_start_order_by_typicality
from labeling.services.embeddings import embeddings_compute, embeddings_fail, prefix_maps_compute
from labeling.services.heartbeat import model_version_heartbeat, replay_heartbeat
from labeling.services.replays import replay_claim, replay_fail, replay_run, replay_sweep
from labeling.services.training import (
    model_version_claim,
    model_version_fail,
    model_version_run,
    model_version_sweep,
)

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def model_version_train(model_version_id: int) -> None:
    """Train on the project's labels, score the unlabeled pool, publish the ranking."""
    version = model_version_claim(model_version_id=model_version_id)
    if version is None:
        logger.info("Model version %s is not queued any more; nothing to do.", model_version_id)
        return
    try:
        with model_version_heartbeat(model_version_id=version.pk, every_seconds=settings.RETRAIN_HEARTBEAT_SECONDS):
            model_version_run(model_version=version, device=settings.LEARNER_DEVICE)
    except Exception as exc:  # task boundary: record why the run failed, then stop
        logger.exception("Model version %s failed", model_version_id)
        model_version_fail(model_version_id=model_version_id, error=f"{type(exc).__name__}: {exc}")


@shared_task
def model_version_sweep_stale() -> None:
    """Periodic: queue again the runs whose worker or message was lost."""
    result = model_version_sweep(
        stale_after=timedelta(seconds=settings.RETRAIN_STALE_AFTER_SECONDS),
        max_attempts=settings.RETRAIN_MAX_ATTEMPTS,
    )
    if result.requeued or result.failed:
        logger.warning("Sweep requeued model versions %s, gave up on %s", result.requeued, result.failed)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def embeddings_compute_task(project_id: int) -> None:
    """Embed the project's new items, a chunk per run; before the first model, put typical items first; then, for
    projects with contrastive adaptation, embed the augmented views of new pool images; for projects
    that fine-tune the last block, store the new images' prefix maps."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None or not project.encoder:
        return
    try:
        device, limit = settings.LEARNER_DEVICE, settings.EMBEDDING_CHUNK_ITEMS
        chunk = embeddings_compute(project=project, device=device, limit=limit)
        if chunk.status == EmbeddingSet.Status.COMPUTING:  # more to embed: to the back of the queue, so a
            embeddings_compute_task.delay(project_id)  # retrain queued meanwhile runs before the next chunk
            return
        cold_start_order_by_typicality(project=project)
        adaptation_views_compute(project=project, device=settings.LEARNER_DEVICE)
        prefix_maps_compute(project=project, device=settings.LEARNER_DEVICE)
    except Exception as exc:  # task boundary: record why, then stop
        logger.exception("Embedding project %s failed", project_id)
        embeddings_fail(project=project, error=f"{type(exc).__name__}: {exc}")


@shared_task(acks_late=True, reject_on_worker_lost=True)
def strategy_replay_task(replay_id: int) -> None:
    """Replay the project's labeling under each strategy; the live ranking is not touched."""
    replay = replay_claim(replay_id=replay_id)
    if replay is None:
        logger.info("Replay %s is not queued any more; nothing to do.", replay_id)
        return
    try:
        with replay_heartbeat(replay_id=replay.pk, every_seconds=settings.RETRAIN_HEARTBEAT_SECONDS):
            replay_run(replay=replay, device=settings.LEARNER_DEVICE)
    except Exception as exc:  # task boundary: record why the replay failed, then stop
        logger.exception("Replay %s failed", replay_id)
        replay_fail(replay_id=replay_id, error=f"{type(exc).__name__}: {exc}")


@shared_task
def strategy_replay_sweep_stale() -> None:
    """Periodic: free projects whose replay lost its worker; resend replays whose message was lost."""
    failed = replay_sweep(stale_after=timedelta(seconds=settings.RETRAIN_STALE_AFTER_SECONDS))
    if failed:
        logger.warning("Sweep failed replays %s whose worker was lost", failed)
