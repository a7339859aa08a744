"""Stabilizing predictions (Bloodgood and Vijay-Shanker 2009, "A Method for Stopping Active
Learning Based on Stabilizing Predictions and the Need for User-Adjustable Stopping", CoNLL).

Keep a fixed "stop set" of unlabeled items and record each model version's predictions on it.
When successive versions agree almost everywhere (Cohen's kappa near 1), new labels no longer
change what the model says, and, as the paper shows, no longer change its accuracy much either.
The stop set needs no labels, so it can be large. Their rule: stop once the kappa between
successive versions, averaged over the last k = 3 comparisons, is at least 0.99.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from learner.exceptions import LearnerError

KAPPA_THRESHOLD = 0.99  # the paper's default
KAPPA_WINDOW = 3  # comparisons


@dataclass(frozen=True)
class StabilityStep:
    """One comparison: the version trained on `labels` labels against the version before it."""

    labels: int
    changed: float  # fraction of stop-set items whose predicted class changed
    kappa: float  # Cohen's kappa between the two versions' predictions


def _pair(previous: Any, current: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(previous), np.asarray(current)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise LearnerError(f"Need two equal, non-empty 1-D prediction arrays, got {a.shape} and {b.shape}.")
    return a, b


def prediction_change(previous: Any, current: Any) -> float:
    """Fraction of items (m,) whose predicted class differs between two versions."""
    a, b = _pair(previous, current)
    return float(np.mean(a != b))


def cohen_kappa(previous: Any, current: Any) -> float:
    """Cohen's kappa between two versions' predictions (m,): (p_o - p_e) / (1 - p_e).

    p_o is the observed agreement, p_e the agreement expected from each version's class
    frequencies alone. Matches sklearn's cohen_kappa_score, except when both versions predict
    one and the same class everywhere (p_e = 1): sklearn gives nan there, we give 1.0, since the
    two versions agree on every item.
    """
    a, b = _pair(previous, current)
    classes, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    codes_a, codes_b = codes[: len(a)], codes[len(a) :]
    share_a = np.bincount(codes_a, minlength=len(classes)) / len(a)  # (k,)
    share_b = np.bincount(codes_b, minlength=len(classes)) / len(b)  # (k,)
    observed = float(np.mean(codes_a == codes_b))
    expected = float(share_a @ share_b)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def stability_series(labels: Sequence[int], predictions: Sequence[Any]) -> list[StabilityStep]:
    """Compare each version with the one before it.

    labels: (v,) label counts of v versions, in training order; predictions: v arrays (m,),
    each version's predicted classes on the same stop set. Returns v - 1 steps.
    """
    if len(labels) != len(predictions):
        raise LearnerError(f"Need one prediction array per version, got {len(labels)} and {len(predictions)}.")
    return [
        StabilityStep(int(labels[i]), prediction_change(predictions[i - 1], predictions[i]),
                      cohen_kappa(predictions[i - 1], predictions[i]))
        for i in range(1, len(labels))
    ]  # fmt: skip


def stabilized_at(
    kappas: Sequence[float],
    *,
    threshold: float = KAPPA_THRESHOLD,
    window: int = KAPPA_WINDOW,
    rule: Literal["mean", "all"] = "mean",
) -> int | None:
    """Index into `kappas` of the first comparison at which the stop rule holds; None if never.

    kappas: (s,) kappa of each successive-version comparison, oldest first. "mean" is the
    paper's rule: the mean of the last `window` kappas is >= threshold. "all" is stricter:
    every one of the last `window` kappas is >= threshold. Needs `window` comparisons, so never
    fires before the (window + 1)-th version.
    """
    if window < 1:
        raise LearnerError(f"The window must hold at least one comparison, got {window}.")
    values = np.asarray(kappas, dtype=float)
    threshold -= 1e-9  # (.99 + 1 + .98) / 3 is 0.98999... in floating point; it means .99
    for end in range(window, len(values) + 1):
        last = values[end - window : end]
        if (last.mean() >= threshold) if rule == "mean" else bool(np.all(last >= threshold)):
            return end - 1
    return None
