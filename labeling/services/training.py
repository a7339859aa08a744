"""The model-version workflow: request a retrain, claim it, finish or fail it.

A ModelVersion row is the record of a run; the broker message only triggers it. Each step
is a conditional update, so a task delivered twice, or a worker that dies and is redone,
still ends with one version.
"""

import os
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from labeling.models import ItemScore, ModelVersion, Project
from labeling.selectors.projects import labeled_item_count
from learner.ranking import PoolRanking
from learner.types import IntArray


def model_version_request(*, project: Project, force: bool = False) -> ModelVersion | None:
    """Queue a retrain once `retrain_every` new labels arrived (or at once with `force`).

    Returns None when it is not due or a run is already queued or running; the train task is
    sent only after the surrounding transaction commits, so the worker finds the row.
    """
    labeled = labeled_item_count(project=project)
    newest = ModelVersion.objects.filter(project=project).order_by("-number").first()
    seen = newest.labels_used if newest else 0
    if not force and labeled - seen < project.retrain_every:
        return None
    if ModelVersion.objects.filter(project=project, status__in=ModelVersion.ACTIVE_STATUSES).exists():
        return None
    number = (ModelVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            version = ModelVersion.objects.create(
                project=project, number=number, strategy=project.strategy, labels_used=labeled
            )
    except IntegrityError:
        return None  # another request queued one at the same moment
    from labeling.tasks import model_version_train  # the task module imports these services

    transaction.on_commit(lambda: model_version_train.delay(version.pk))
    return version


def model_version_claim(*, model_version_id: int) -> ModelVersion | None:
    """Move a queued run to running; None if another worker claimed or finished it."""
    claimed = ModelVersion.objects.filter(pk=model_version_id, status=ModelVersion.Status.QUEUED).update(
        status=ModelVersion.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    return ModelVersion.objects.select_related("project").get(pk=model_version_id)


def model_version_artifact_path(*, model_version: ModelVersion) -> Path:
    folder = Path(settings.ARTIFACT_ROOT) / f"project-{model_version.project_id}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"model-v{model_version.number}.pt"


@transaction.atomic
def model_version_complete(
    *,
    model_version: ModelVersion,
    pool_item_ids: IntArray,
    ranking: PoolRanking,
    labels_used: int,
    metrics: dict[str, object],
    artifact_path: Path,
) -> ModelVersion:
    """Store the ranking and mark the version done, all in one transaction: annotators switch
    to the new ranking at the commit, never to a half-written one."""
    ItemScore.objects.bulk_create(
        (
            ItemScore(
                model_version=model_version,
                item_id=int(pool_item_ids[row]),
                score=float(ranking.scores[row]),
                rank=position,
            )
            for position, row in enumerate(ranking.order)
        ),
        batch_size=2000,
    )
    updated = ModelVersion.objects.filter(pk=model_version.pk, status=ModelVersion.Status.RUNNING).update(
        status=ModelVersion.Status.DONE,
        labels_used=labels_used,
        metrics=metrics,
        artifact_path=str(artifact_path),
        finished_at=timezone.now(),
    )
    if not updated:
        raise RuntimeError(f"Model version {model_version.pk} left 'running' while it trained.")
    model_version.refresh_from_db()
    return model_version


def model_version_fail(*, model_version_id: int, error: str) -> None:
    """Mark a run failed with its reason and drop any model file it wrote."""
    version = ModelVersion.objects.filter(pk=model_version_id).first()
    if version is None:
        return
    artifact = model_version_artifact_path(model_version=version)
    if artifact.exists():
        os.remove(artifact)
    ModelVersion.objects.filter(pk=model_version_id).exclude(status=ModelVersion.Status.DONE).update(
        status=ModelVersion.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )
