"""How sure is one accuracy figure: the Wilson score interval, and a bootstrap for other metrics.

Accuracy on m evaluation items is a binomial proportion, so its interval has a closed form
(Wilson 1927), which, unlike the normal "p +- z sqrt(p(1-p)/m)", stays inside [0, 1] and is
not zero-width at 0% or 100%. Metrics that are not one proportion (macro-F1, per-class recall
averaged) get a percentile bootstrap over the evaluation items instead.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import norm
from sklearn.metrics import f1_score

from learner.exceptions import LearnerError

Metric = Callable[[np.ndarray, np.ndarray], float]  # (y_true (m,), y_pred (m,)) -> score


def z_value(confidence: float) -> float:
    """The two-sided normal quantile: 1.96 for confidence 0.95."""
    if not 0.0 < confidence < 1.0:
        raise LearnerError(f"Confidence must lie strictly between 0 and 1, got {confidence}.")
    return float(norm.ppf(0.5 + confidence / 2))


def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (low, high) for `correct` successes out of `n` trials.

    Same numbers as statsmodels' proportion_confint(correct, n, method="wilson"). With n = 0
    nothing is known, and the interval is all of [0, 1].
    """
    if n < 0 or not 0 <= correct <= max(n, 0):
        raise LearnerError(f"Need 0 <= correct <= n, got correct={correct}, n={n}.")
    z = z_value(confidence)
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    denominator = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return float(max(0.0, center - half)), float(min(1.0, center + half))


def macro_f1(y_true: Any, y_pred: Any) -> float:
    """Unweighted mean of per-class F1 over the classes seen in either array (0 where undefined)."""
    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def bootstrap_interval(
    y_true: Any,
    y_pred: Any,
    metric: Metric = macro_f1,
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile bootstrap (low, high) of `metric` over the evaluation items.

    y_true, y_pred: (m,) labels of the same items. Each resample draws m items with replacement
    (the yardstick's items are the random part, the model is fixed), so the interval answers
    "how much would this score move on another evaluation sample of the same size".
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise LearnerError(f"Need two equal, non-empty 1-D label arrays, got {y_true.shape} and {y_pred.shape}.")
    if n_resamples < 1:
        raise LearnerError(f"Need at least one resample, got {n_resamples}.")
    z_value(confidence)  # checks it
    m = len(y_true)
    picks = rng.integers(0, m, size=(n_resamples, m))  # (n_resamples, m) item indices
    scores = np.array([metric(y_true[rows], y_pred[rows]) for rows in picks])
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return float(low), float(high)
