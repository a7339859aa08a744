"""A learning curve fitted to (labels, accuracy) points, and what it projects.

The model is the inverse power law acc(n) = a - b * n^(-c) (a: the asymptote, the accuracy
unlimited labels would give; b, c: how far below it and how fast it closes), the usual
three-parameter form for learning curves (Figueroa et al. 2012, "Predicting sample size
required for classification performance"). The band comes from a bootstrap over the points:
refit on points drawn with replacement, read each refit's projection, take percentiles.
"""

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from learner.exceptions import LearnerError
from learner.types import FloatArray

MIN_POINTS = 4  # three parameters: three points fit exactly, and leave nothing to bootstrap
_BOUNDS = ([0.0, 0.0, 1e-3], [1.0, np.inf, 5.0])  # a <= 1, b >= 0, c > 0; c > 5 is a step, not a curve


@dataclass(frozen=True)
class PowerLaw:
    """acc(n) = a - b * n^(-c)."""

    a: float
    b: float
    c: float

    def __call__(self, n: Any) -> FloatArray:
        return self.a - self.b * np.power(np.asarray(n, dtype=float), -self.c)


@dataclass(frozen=True)
class Projection:
    """A projected number with its band: low <= value <= high (the band always holds the fit itself)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class CurveFit:
    """The fitted law, or why there is none, plus the bootstrap refits for bands.

    `law` is None when there were too few points (`reason` says how many); then every
    projection is None rather than an exception, so a dashboard can say "too early to tell".
    """

    law: PowerLaw | None
    boots: tuple[PowerLaw, ...]
    n_points: int
    confidence: float
    reason: str = ""

    @property
    def fitted(self) -> bool:
        return self.law is not None

    def projected_accuracy(self, n: int) -> Projection | None:
        """Accuracy the fitted curve gives at n labels, with the bootstrap band."""
        if self.law is None:
            return None
        return self._band(float(self.law(n)), [float(law(n)) for law in self.boots])

    def projected_gain(self, n_from: int, n_to: int) -> Projection | None:
        """Accuracy gained going from n_from to n_to labels; each refit's own difference, so
        the band is that of the gain, not the difference of two bands."""
        if self.law is None:
            return None
        gain = [float(law(n_to) - law(n_from)) for law in self.boots]
        return self._band(float(self.law(n_to) - self.law(n_from)), gain)

    def labels_for(self, target: float) -> int | None:
        """Fewest labels at which the fitted curve reaches `target`; None when the asymptote
        a is not above it (or there is no fit): no number of labels gets there."""
        return None if self.law is None else _labels_for(self.law, target)

    def labels_needed(self, target: float) -> tuple[int | None, int | None, int | None]:
        """(fit, optimistic, pessimistic): labels the fitted curve needs to reach `target`, and the
        ends of the band over the bootstrap refits. None means never: the curve (or that end of the
        band) levels off below the target."""
        if self.law is None:
            return None, None, None
        fitted = self.labels_for(target)
        needed = [_labels_for(law, target) for law in self.boots]
        if not needed:
            return fitted, fitted, fitted
        draws = np.array([np.inf if n is None else n for n in needed], dtype=float)
        tail = (1 - self.confidence) / 2 * 100
        low, high = np.percentile(draws, [tail, 100 - tail], method="inverted_cdf")  # no interpolating with inf
        as_int = [None if not np.isfinite(v) else int(np.ceil(v)) for v in (low, high)]
        if fitted is not None:  # the band always holds the fit itself
            as_int[0] = min(fitted, as_int[0]) if as_int[0] is not None else fitted
            as_int[1] = max(fitted, as_int[1]) if as_int[1] is not None else None
        return fitted, as_int[0], as_int[1]

    def _band(self, value: float, draws: list[float]) -> Projection:
        if not draws:
            return Projection(value, value, value)
        tail = (1 - self.confidence) / 2 * 100
        low, high = np.percentile(draws, [tail, 100 - tail])
        return Projection(value, min(value, float(low)), max(value, float(high)))


def fit_learning_curve(
    labels: Sequence[int],
    accuracy: Sequence[float],
    *,
    n_eval: int | Sequence[int] | None = None,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> CurveFit:
    """Fit acc(n) = a - b n^(-c) to points (labels[i], accuracy[i]), one per model version.

    n_eval: evaluation items behind each accuracy (one count for all, or one per point); when
    given, each point is weighted by its binomial standard error sqrt(p (1-p) / m), so a point
    measured on more items counts more. `n_boot` refits on points resampled with replacement
    (seeded by `seed`) give the bands; 0 gives the fit alone. With n_eval, each resampled
    point's accuracy is also drawn afresh, Binomial(m, fitted accuracy) / m: a bootstrap of a
    handful of points cannot see their measurement noise, and without it four noisy points on
    a plateau would give a band too narrow to be believed. Fewer than MIN_POINTS distinct
    label counts give a CurveFit with law None and the reason, not an error.
    """
    x, y = np.asarray(labels, dtype=float), np.asarray(accuracy, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise LearnerError(f"Need as many accuracies as label counts, got {x.shape} and {y.shape}.")
    if np.any(x <= 0) or np.any((y < 0) | (y > 1)):
        raise LearnerError(f"Need label counts > 0 and accuracies in [0, 1], got {x.tolist()} and {y.tolist()}.")
    distinct = len(np.unique(x))
    if distinct < MIN_POINTS:
        reason = f"Need at least {MIN_POINTS} model versions with distinct label counts to fit a curve, got {distinct}."
        return CurveFit(None, (), len(x), confidence, reason)
    m = None if n_eval is None else np.broadcast_to(np.asarray(n_eval, dtype=float), y.shape)
    sigma = _sigma(y, m)
    law = _fit(x, y, sigma)
    if law is None:
        return CurveFit(None, (), len(x), confidence, "The curve fit did not converge on these points.")
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        rows = rng.integers(0, len(x), len(x))
        if len(np.unique(x[rows])) < 3:  # fewer than three distinct points pin down nothing
            continue
        y_star = y[rows] if m is None else rng.binomial(m[rows].astype(np.int64), law(x[rows])) / m[rows]
        refit = _fit(x[rows], y_star, None if sigma is None else sigma[rows])
        if refit is not None:
            boots.append(refit)
    return CurveFit(law, tuple(boots), len(x), confidence)


def _sigma(y: FloatArray, m: FloatArray | None) -> FloatArray | None:
    """(k,) binomial standard errors of accuracies y measured on m items each, or None (unweighted)."""
    if m is None:
        return None
    if np.any(m < 1):
        raise LearnerError(f"Evaluation item counts must be >= 1, got {m.tolist()}.")
    p = np.clip(y, 0.5 / m, 1 - 0.5 / m)  # half an item off the edge: 100% measured is not 0 variance
    return np.sqrt(p * (1 - p) / m)


def _fit(x: FloatArray, y: FloatArray, sigma: FloatArray | None) -> PowerLaw | None:
    a0 = float(min(0.999, y.max() + 0.01))
    c0 = 0.5
    b0 = max(1e-6, (a0 - y[np.argmin(x)]) * x.min() ** c0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)  # no covariance estimate: the bootstrap gives the band
            params, _ = curve_fit(
                _power_law, x, y, p0=[a0, b0, c0], sigma=sigma, absolute_sigma=sigma is not None,
                bounds=_BOUNDS, method="trf", maxfev=5000,
            )  # fmt: skip
    except (RuntimeError, ValueError):  # no convergence within maxfev, or non-finite residuals
        return None
    return PowerLaw(*(float(v) for v in params))


def _labels_for(law: PowerLaw, target: float) -> int | None:
    """Solve a - b n^(-c) = target for n, rounded up; None when the asymptote a is not above it."""
    if law.a <= target:
        return None
    if law.b <= 0:
        return 1  # a flat curve already at a > target
    return max(1, int(np.ceil((law.b / (law.a - target)) ** (1 / law.c))))


def _power_law(n: FloatArray, a: float, b: float, c: float) -> FloatArray:
    return a - b * np.power(n, -c)
