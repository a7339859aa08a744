"""The model-version workflow: request a retrain, claim it, finish or fail it.

A ModelVersion row is the record of a run; the broker message only triggers it. Each step
is a conditional update, so a task delivered twice, or a worker that dies and is redone,
still ends with one version.
"""

import time
import uuid
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from labeling.artifacts import array_save, artifact_delete, bytes_save
from labeling.exceptions import NothingToRetrainError
from labeling.models import ItemScore, ModelVersion, Project
from labeling.queue import enqueue_retrain
from labeling.selectors.projects import labeled_item_count
from labeling.selectors.serving import version_newest
from labeling.selectors.training import TrainingData, training_data_build
from labeling.services.adaptation import (
    adaptation_apply,
    adaptation_discard,
    adaptation_prepare,
    adaptation_views_compute,
)
from labeling.services.embeddings import embeddings_compute, prefix_maps_compute
from labeling.services.predictions import predictions_discard, predictions_store
from labeling.services.projects import project_metric_resolve
from labeling.services.runs import SweepResult, run_claim, run_fail, run_finish, run_sweep
from labeling.services.statistics import table_analyze_on_commit
from learner.finetune import FinetuneConfig, LastBlockClassifier
from learner.metrics import eval_report
from learner.models.softmax import SoftmaxConfig
from learner.ranking import PoolRanking, get_entry
from learner.strategies import StrategyOptions
from learner.training import run_round
from learner.types import IntArray

FINETUNE_CONFIG = FinetuneConfig()  # bench/results/finetune-cpu.md


def model_version_request(*, project: Project, force: bool = False) -> ModelVersion | None:
    """Queue a retrain once `retrain_every` new labels arrived (or at once with `force`).

    Returns None when it is not due or a run is already queued or running; the train task is
    sent only after the surrounding transaction commits, so the worker finds the row. A forced
    retrain with no label the newest finished version has not seen raises NothingToRetrainError.
    The exact count of labeled items runs only once `retrain_every` labels were given since the
    newest version was queued (labeling.services.budget): before that a retrain cannot be due.
    """
    if not force and project.labels_given - project.labels_given_at_retrain < project.retrain_every:
        return None  # fewer labels given since the newest retrain was queued than a retrain needs
    newest = version_newest(project_id=project.pk)
    if newest is not None and newest.status in ModelVersion.ACTIVE_STATUSES:
        return None  # one run at a time, and only the newest can be queued or running
    labeled = labeled_item_count(project=project)
    seen = newest.labels_used if newest else 0
    if not force and labeled - seen < project.retrain_every:
        return None
    if force and newest is not None and newest.status == ModelVersion.Status.DONE and labeled == seen:
        raise NothingToRetrainError(
            f"No new labels since v{newest.number} ({seen} labeled items): a retrain would make the same model.",
            {"version": newest.number, "labeled_items": labeled},
        )
    number = (newest.number if newest else 0) + 1
    try:
        with transaction.atomic():
            version = ModelVersion.objects.create(
                project=project, number=number, strategy=project.strategy, labels_used=labeled,
                heartbeat_at=timezone.now(),
            )
            Project.objects.filter(pk=project.pk).update(labels_given_at_retrain=project.labels_given)
    except IntegrityError:
        return None  # another request queued one at the same moment
    enqueue_retrain(version.pk)
    return version


def model_version_claim(*, model_version_id: int) -> ModelVersion | None:
    """Move a queued run to running; None if another worker claimed or finished it."""
    return run_claim(ModelVersion, pk=model_version_id)


def model_version_run(*, model_version: ModelVersion, device: str) -> ModelVersion:
    """One claimed run: train on the labels so far, rank the pool, publish model and ranking.

    A project with `finetune_last_block` trains a LastBlockClassifier on its stored prefix maps, so
    the ranking reads the tuned features; with a committee strategy it trains the frozen-embedding
    committee instead, and metrics["finetune"] says so.
    """
    started = time.perf_counter()
    project = model_version.project
    adapting = project.adaptation == Project.Adaptation.CONTRASTIVE
    entry = get_entry(model_version.strategy)
    finetuning = project.finetune_last_block and not entry.trains_own_heads  # committees, MC dropout: frozen
    if project.encoder:  # embed items the import task has not reached yet; a no-op when all are done
        embeddings_compute(project=project, device=device)
        adaptation_views_compute(project=project, device=device)
        prefix_maps_compute(project=project, device=device)
    data = training_data_build(project=project, prefix=finetuning)
    metric = project_metric_resolve(project=project, labels=[*data.y_train, *data.y_eval])
    state = _previous_strategy_state(model_version) if entry.stateful else None
    adaptation = adaptation_prepare(project=project, device=device) if adapting else None
    artifact, predictions = None, None
    try:
        if adaptation is not None:
            data = adaptation_apply(data=data, adaptation=adaptation)
        seed = project.seed + model_version.number  # fresh strategy draws every round
        result = run_round(
            X_train=data.X_train, y_train=data.y_train, X_pool=data.X_pool, X_eval=data.X_eval, y_eval=data.y_eval,
            strategy=model_version.strategy, seed=seed,
            batch_size=project.retrain_every, diverse=project.diverse_batches,
            config=SoftmaxConfig(members=project.committee_size),
            options=StrategyOptions(density_beta=project.density_beta), device=device,
            model=(lambda device: LastBlockClassifier(FINETUNE_CONFIG, device=device)) if finetuning else None,
            metric=metric, strategy_state=state, pool_ids=data.pool_item_ids, train_ids=data.train_item_ids,
        )  # fmt: skip
        metrics = {
            "eval_accuracy": result.eval_accuracy, "n_eval": len(data.y_eval), "n_train": result.n_train,
            "yardstick": "audit items" if data.n_audit else "evaluation items", "n_audit": data.n_audit,
            "metric": metric, "eval_score": result.eval_score, "majority_baseline": result.majority_score,
            "below_majority_baseline": (result.eval_score is not None and result.majority_score is not None
                                        and result.eval_score < result.majority_score),
            "class_weight": getattr(result.model, "class_weight_", None),
            "committee_eval_accuracy": result.committee_eval_accuracy,
            "n_pool": len(data.pool_item_ids), "train_seconds": round(time.perf_counter() - started, 3),
            "encoder": project.encoder or ("pixels" if project.modality == Project.Modality.IMAGE else "tfidf-lsa"),
            "hyperparameters": asdict(result.model.config), "epochs_trained": result.model.epochs_,
            "seed": seed,
            "adaptation": adaptation.record if adaptation is not None else {"method": Project.Adaptation.NONE.value},
            "finetune": _finetune_record(project, finetuning, result.model.epochs_, data.X_train.shape[1]),
        }  # fmt: skip
        metrics["stop_set"] = _stop_set_predictions(project, data, result.model)  # for stabilizing predictions
        if len(data.y_eval):  # the confusion matrix, per-class recall and macro-F1 the dashboard shows
            classes = [c.name for c in project.label_classes.all()]
            metrics["eval_report"] = eval_report(data.y_eval, result.model.predict(data.X_eval), classes)
        if result.strategy_state is not None:  # what auto learned so far; the next version starts from it
            metrics["strategy_state"] = result.strategy_state
        # A fresh name per run: a redo after a lost worker never meets the file of the lost attempt.
        artifact = f"project-{model_version.project_id}/model-v{model_version.number}-{uuid.uuid4().hex[:12]}.pt"
        bytes_save(artifact, result.model.to_bytes())
        predictions = predictions_store(model_version=model_version, model=result.model, data=data)
        metrics["predictions"] = predictions  # every item's probabilities, for exports and GET .../predictions/
        head = result.ranking.order[: settings.RANKING_QUEUE_HEAD]
        return model_version_complete(
            model_version=model_version, pool_item_ids=data.pool_item_ids, ranking=result.ranking,
            labels_used=result.n_train, artifact_path=artifact, metrics=metrics,
            head_top_classes=top_classes(result.model.classes_, result.model.predict_proba(data.X_pool[head]))
            if len(head) else None,
        )  # fmt: skip
    except BaseException:
        if artifact is not None:
            artifact_delete(artifact)  # no version points at it: the publish rolled back
        if predictions is not None:
            predictions_discard(predictions)
        if adaptation is not None:
            adaptation_discard(adaptation=adaptation)  # a fit stored by this run and named by no version
        raise


def _previous_strategy_state(model_version: ModelVersion) -> dict[str, object] | None:
    """The state the newest finished version of the same strategy left (auto's arm weights and audits)."""
    previous = (ModelVersion.objects.filter(project_id=model_version.project_id, status=ModelVersion.Status.DONE,
                                            strategy=model_version.strategy, number__lt=model_version.number)
                .order_by("-number").values_list("metrics", flat=True).first())  # fmt: skip
    return (previous or {}).get("strategy_state")


STOP_SET_SIZE = 500  # pool items whose predictions each version records (Bloodgood & Vijay-Shanker 2009)


def _stop_set_predictions(project: Project, data: TrainingData, model: Any) -> dict[str, list[Any]]:
    """The version's predicted class on a fixed, seeded sample of the project's pool items; successive
    versions compare these to tell when predictions have stopped changing."""
    ids = np.concatenate([data.train_item_ids, data.pool_item_ids])  # every pool item not held for measuring
    rows = np.concatenate([data.X_train, data.X_pool]) if len(ids) else data.X_pool
    order = np.argsort(ids)
    ids, rows = ids[order], rows[order]
    picks = np.sort(np.random.default_rng(project.seed).permutation(len(ids))[:STOP_SET_SIZE])
    predicted = model.predict(rows[picks]) if len(picks) else []
    return {"ids": ids[picks].tolist(), "predicted": [str(p) for p in predicted]}


def _finetune_record(project: Project, finetuning: bool, epochs: int, input_dim: int) -> dict[str, object]:
    """What metrics["finetune"] says: what was trained and how, or why nothing was."""
    if not finetuning:
        reason = "committee strategy: frozen embeddings" if project.finetune_last_block else "off"
        return {"enabled": False, "reason": reason}
    return {
        "enabled": True, "trained": ["last MBConv block", "head conv 1x1", "head BN affine", "linear"],
        "block_lr": FINETUNE_CONFIG.block_lr, "lr": FINETUNE_CONFIG.lr, "epochs": epochs, "prefix_dim": input_dim,
        "batchnorm": "running statistics frozen",
    }  # fmt: skip


def top_classes(classes: np.ndarray, probs: np.ndarray, k: int = 3) -> list[list[list[object]]]:
    """Per row of probs (n, n_classes): the k most probable [class name, probability], best first;
    what the annotator's page shows as the model's view."""
    best = np.argsort(-probs, axis=1, kind="stable")[:, :k]  # (n, k)
    return [[[str(classes[c]), round(float(row[c]), 4)] for c in picks] for row, picks in zip(probs, best, strict=True)]


def model_version_complete(
    *,
    model_version: ModelVersion,
    pool_item_ids: IntArray,
    ranking: PoolRanking,
    labels_used: int,
    metrics: dict[str, object],
    artifact_path: str,
    head_top_classes: list[list[list[object]]] | None = None,
) -> ModelVersion:
    """Publish the ranking and mark the version done in one transaction: annotators switch to
    the new ranking at the commit, never to a half-written one.

    `artifact_path` names the model file, already in the artifact store. The whole ranking
    (every pool item, in order, with its score) goes there too, as two arrays; only its head,
    the first settings.RANKING_QUEUE_HEAD ranks, becomes ItemScore rows for the annotator queue,
    and the previous versions' rows are dropped. Annotators get through a few batches before the
    next model ranks again, so the head is all the queue reads; writing a row per item instead
    costs minutes and a million rows per version at 1M items (bench/results/ranking-store.md).
    Past the head, the queue falls back to the cold-start order. `head_top_classes[r]` is the
    model's top classes for the item at rank r, for the annotator's "model's view".
    """
    ordered_ids = np.asarray(pool_item_ids, dtype=np.int64)[ranking.order]  # (n,) best first
    ordered_scores = np.asarray(ranking.scores, dtype=np.float32)[ranking.order]  # (n,)
    stem = f"project-{model_version.project_id}/ranking-v{model_version.number}-{uuid.uuid4().hex[:12]}"
    array_save(f"{stem}-ids.npy", ordered_ids)
    array_save(f"{stem}-scores.npy", ordered_scores)
    try:
        return _publish(
            model_version, stem, ordered_ids, ordered_scores, labels_used, metrics, artifact_path,
            head_top_classes or [],
        )  # fmt: skip
    except BaseException:
        for suffix in ("-ids.npy", "-scores.npy"):
            artifact_delete(stem + suffix)  # nothing points at them: the transaction rolled back
        raise


@transaction.atomic
def _publish(
    model_version: ModelVersion, stem: str, ordered_ids: np.ndarray, ordered_scores: np.ndarray,
    labels_used: int, metrics: dict[str, object], artifact_path: str, head_top_classes: list[list[list[object]]],
) -> ModelVersion:  # fmt: skip
    head = settings.RANKING_QUEUE_HEAD
    ItemScore.objects.filter(model_version__project_id=model_version.project_id).delete()
    ItemScore.objects.bulk_create(
        (
            ItemScore(
                model_version=model_version, item_id=int(item_id), score=float(score), rank=position,
                top_classes=head_top_classes[position] if position < len(head_top_classes) else [],
            )
            for position, (item_id, score) in enumerate(zip(ordered_ids[:head], ordered_scores[:head], strict=True))
        ),
        batch_size=2000,
    )
    updated = run_finish(
        ModelVersion, pk=model_version.pk, ranking_name=stem, labels_used=labels_used, metrics=metrics,
        artifact_path=artifact_path,
    )  # fmt: skip
    if not updated:
        raise RuntimeError(f"Model version {model_version.pk} left 'running' while it trained.")
    table_analyze_on_commit(ItemScore)  # the next-item query walks the new head's rank index
    model_version.refresh_from_db()
    return model_version


def model_version_fail(*, model_version_id: int, error: BaseException | str) -> None:
    """Mark a run failed with its reason (model_version_run already dropped any file it wrote)."""
    run_fail(ModelVersion, pk=model_version_id, error=error)


def model_version_sweep(*, stale_after: timedelta, max_attempts: int) -> SweepResult:
    """Redo runs whose worker or message was lost (labeling.services.runs.run_sweep); a run that lost
    its worker `max_attempts` times fails instead."""
    return run_sweep(
        ModelVersion, stale_after=stale_after, max_attempts=max_attempts,
        send=lambda version: enqueue_retrain(version.pk), give_up_hint="gave up.",
    )  # fmt: skip
