"""Store a trained model's class probabilities for every item it has features for.

The export's prediction columns and GET .../predictions/ read them back, so they always show
what this version predicted, even after later imports change the features of a TF-IDF project.
"""

import uuid
from typing import Any

import numpy as np

from labeling.artifacts import array_save, artifact_delete
from labeling.models import ModelVersion
from labeling.selectors.training import TrainingData


def predictions_store(*, model_version: ModelVersion, model: Any, data: TrainingData) -> dict[str, Any]:
    """Score every train, pool and evaluation row; returns the record that goes into metrics["predictions"]."""
    ids = np.concatenate([data.train_item_ids, data.pool_item_ids, data.eval_item_ids]).astype(np.int64)  # (n,)
    rows = np.concatenate([data.X_train, data.X_pool, data.X_eval])  # (n, d)
    order = np.argsort(ids, kind="stable")
    probs = model.predict_proba(rows[order]).astype(np.float32) if len(ids) else np.zeros((0, len(model.classes_)))
    name = f"project-{model_version.project_id}/predictions-v{model_version.number}-{uuid.uuid4().hex[:12]}"
    array_save(f"{name}-ids.npy", ids[order])
    try:
        array_save(f"{name}-probs.npy", np.asarray(probs, dtype=np.float32))  # (n, n_classes)
    except BaseException:
        artifact_delete(f"{name}-ids.npy")
        raise
    return {"name": name, "classes": [str(c) for c in model.classes_], "items": len(ids)}


def predictions_discard(record: dict[str, Any]) -> None:
    """Remove arrays that no finished version names (the publish rolled back)."""
    for suffix in ("-ids.npy", "-probs.npy"):
        artifact_delete(record["name"] + suffix)
