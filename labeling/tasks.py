"""Celery adapters: fetch by id, call learner code, persist through a service.

Tasks live in labeling/ rather than learner/ because they read and write Django rows;
learner/ stays a plain library that installs and runs without Django.
"""

import logging
import time

from celery import shared_task
from django.conf import settings

from labeling.selectors.training import training_data_build
from labeling.services.training import (
    model_version_artifact_path,
    model_version_claim,
    model_version_complete,
    model_version_fail,
)
from learner.models.softmax import SoftmaxConfig
from learner.strategies import StrategyOptions
from learner.training import run_round

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def model_version_train(model_version_id: int) -> None:
    """Train on the project's labels, score the unlabeled pool, publish the ranking."""
    version = model_version_claim(model_version_id=model_version_id)
    if version is None:
        logger.info("Model version %s is not queued any more; nothing to do.", model_version_id)
        return
    started = time.perf_counter()
    try:
        data = training_data_build(project=version.project)
        result = run_round(
            X_train=data.X_train, y_train=data.y_train, X_pool=data.X_pool,
            X_eval=data.X_eval, y_eval=data.y_eval,
            strategy=version.strategy, seed=version.project.seed + version.number,  # fresh draws per round
            batch_size=version.project.retrain_every, diverse=version.project.diverse_batches,
            config=SoftmaxConfig(members=version.project.committee_size),
            options=StrategyOptions(density_beta=version.project.density_beta),
            device=settings.LEARNER_DEVICE,
        )  # fmt: skip
        artifact = model_version_artifact_path(model_version=version)
        result.model.save(artifact)
        model_version_complete(
            model_version=version, pool_item_ids=data.pool_item_ids, ranking=result.ranking,
            labels_used=result.n_train, artifact_path=artifact,
            metrics={"eval_accuracy": result.eval_accuracy, "n_eval": len(data.y_eval),
                     "n_train": result.n_train, "n_pool": len(data.pool_item_ids),
                     "train_seconds": round(time.perf_counter() - started, 3)},
        )  # fmt: skip
    except Exception as exc:  # task boundary: record why the run failed, then stop
        logger.exception("Model version %s failed", model_version_id)
        model_version_fail(model_version_id=model_version_id, error=f"{type(exc).__name__}: {exc}")
