"""The yardstick a project is judged by: accuracy, balanced accuracy or macro-F1, and the
majority-class baseline every model must beat on it.

Accuracy rewards a model that always answers the majority class of an imbalanced task; balanced
accuracy (mean recall per class) and macro-F1 (mean F1 per class) do not. `default_metric`
picks macro-F1 when the classes are imbalanced, accuracy otherwise.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score

from learner.exceptions import LearnerError

METRICS = ("accuracy", "balanced_accuracy", "macro_f1")
IMBALANCE_RATIO = 1.5  # largest class / smallest class above which accuracy misleads: macro-F1 by default


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise LearnerError(f"Unknown metric {metric!r}; known: {', '.join(METRICS)}.")


def score(metric: str, y_true: Any, y_pred: Any, *, labels: Sequence[Any] | None = None) -> float:
    """`metric` of predictions y_pred (n,) against y_true (n,); classes absent from both count as
    nothing. `labels` adds classes that must count even if absent (for recall and F1, as 0)."""
    check_metric(metric)
    truth, pred = _objects(y_true), _objects(y_pred)  # object arrays: no '<U3' truncating a longer label
    if truth.shape != pred.shape or truth.ndim != 1:
        raise LearnerError(f"y_true and y_pred must be 1-D and alike, got {truth.shape} and {pred.shape}.")
    if not len(truth):
        raise LearnerError("No rows to score.")
    if metric == "accuracy":
        return float(np.mean(truth == pred))
    classes = np.unique(np.concatenate([truth, pred, _objects(labels if labels is not None else [])]))
    if metric == "balanced_accuracy":
        present = [c for c in classes if np.any(truth == c)]
        return float(np.mean([np.mean(pred[truth == c] == c) for c in present]))
    f1 = []
    for c in classes:
        tp = np.sum((pred == c) & (truth == c))
        denominator = np.sum(pred == c) + np.sum(truth == c)
        f1.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(f1))


def default_metric(labels: Any) -> str:
    """macro_f1 when the largest class has more than IMBALANCE_RATIO times the smallest's labels
    (or items, for a project's import), accuracy otherwise."""
    _, counts = np.unique(np.asarray(labels), return_counts=True)
    if len(counts) < 2:
        return "accuracy"
    return "macro_f1" if counts.max() > IMBALANCE_RATIO * counts.min() else "accuracy"


def majority_baseline(y_train: Any, y_eval: Any, metric: str) -> float:
    """`metric` on y_eval (n,) of always answering the most frequent class of y_train: the score a
    model that learned nothing gets, which every model must beat to be worth its labels."""
    values, counts = np.unique(np.asarray(y_train), return_counts=True)
    if not len(values):
        raise LearnerError("No training labels: no majority class.")
    majority = values[np.argmax(counts)]
    truth = _objects(y_eval)
    return score(metric, truth, np.full(truth.shape, majority, dtype=object))


def _objects(values: Any) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = [v.item() if isinstance(v, np.generic) else v for v in values]
    return array


def eval_report(y_true: Any, y_pred: Any, classes: Sequence[Any]) -> dict[str, Any]:
    """What the dashboard shows beside accuracy: the confusion matrix (rows: true class, columns:
    predicted, in `classes` order), each class's recall (None for a class with no true item), and
    macro-F1. JSON-safe."""
    truth, pred = _objects(y_true), _objects(y_pred)
    names = list(classes)
    matrix = confusion_matrix(truth, pred, labels=np.array(names, dtype=object))  # (c, c)
    support = matrix.sum(axis=1)
    recall = [float(matrix[i, i] / support[i]) if support[i] else None for i in range(len(names))]
    return {
        "classes": [str(name) for name in names],
        "confusion": matrix.astype(int).tolist(),
        "recall": recall,
        "macro_f1": float(f1_score(truth, pred, labels=np.array(names, dtype=object), average="macro",
                                   zero_division=0)),
    }
