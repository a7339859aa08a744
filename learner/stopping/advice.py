"""One sentence for the dashboard: do further labels still pay?

The rule, in order (min_gain defaults to 1 accuracy point):

1. Fewer than MIN_POINTS model versions: "too early to tell" (no curve can be fitted).
2. "labels still pay" when any of these holds:
   a. measured: the accuracy gained over the last `lookback` versions is above min_gain even at
      the low end of its 95% interval (the curve is clearly still climbing);
   b. projected: the fitted curve's gain from the current labels to the horizon may reach
      min_gain (the high end of its bootstrap band is >= min_gain). The horizon is the budget
      while labels remain in it; once it is spent the question is whether raising it pays, and
      the horizon is twice the current labels;
   c. stability (when stop-set predictions are given): the Bloodgood and Vijay-Shanker rule does
      not hold on the latest comparisons (mean kappa of the last 3 below 0.99).
3. Otherwise "more labels buy little".

So "more labels buy little" needs the measurement, the projection and (when known) the
predictions to agree; any one of them seeing a gain keeps labeling going. The measured gain's
interval treats the two accuracies as independent samples; both come from the same evaluation
items, whose errors are positively correlated, so the true interval is narrower and the +-
shown errs on the wide side.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from learner.exceptions import LearnerError
from learner.stopping.curve import MIN_POINTS, CurveFit, Projection, fit_learning_curve
from learner.stopping.intervals import z_value
from learner.stopping.stability import KAPPA_THRESHOLD, KAPPA_WINDOW, StabilityStep, stabilized_at

TOO_EARLY = "too early to tell"
STILL_PAY = "labels still pay"
BUY_LITTLE = "more labels buy little"


@dataclass(frozen=True)
class Advice:
    verdict: str  # TOO_EARLY, STILL_PAY or BUY_LITTLE
    sentence: str  # what the dashboard shows
    gain: float | None  # accuracy gained over the last `lookback` versions (None with one version)
    gain_half_width: float | None  # its 95% half-width
    gain_labels: int | None  # the labels those versions added
    horizon: int | None  # labels the projection runs to
    projected_gain: Projection | None  # fitted gain from now to the horizon, with band
    changed: float | None  # share of stop-set items whose prediction changed at the last version
    stable: bool | None  # the stabilizing-predictions rule holds now; None without stop-set data


def measured_gain(
    labels: Sequence[int], accuracy: Sequence[float], *, n_eval: int, lookback: int = 3, confidence: float = 0.95
) -> tuple[float, float, int]:
    """(gain, half_width, labels_added) between the last version and the one `lookback` before it
    (or the first). half_width is z * sqrt(p1 (1-p1) / m + p0 (1-p0) / m), m = n_eval."""
    if len(labels) < 2 or len(labels) != len(accuracy):
        raise LearnerError(f"Need two or more versions with one accuracy each, got {len(labels)}, {len(accuracy)}.")
    then = max(0, len(labels) - 1 - lookback)
    p1, p0 = float(accuracy[-1]), float(accuracy[then])
    half = z_value(confidence) * float(np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / n_eval))
    return p1 - p0, half, int(labels[-1]) - int(labels[then])


def horizon_for(labels_now: int, budget: int | None) -> int:
    """The budget while labels remain in it, else twice the current labels."""
    return budget if budget is not None and budget > labels_now else 2 * labels_now


def advise(
    labels: Sequence[int],
    accuracy: Sequence[float],
    *,
    n_eval: int,
    budget: int | None = None,
    stability: Sequence[StabilityStep] | None = None,
    fit: CurveFit | None = None,
    lookback: int = 3,
    min_gain: float = 0.01,
    seed: int = 0,
) -> Advice:
    """The verdict and its sentence from the versions' (labels, accuracy) points, oldest first.

    n_eval: evaluation items behind each accuracy; `stability`: the stop-set comparisons of the
    same versions (learner.stopping.stability_series), or None where there is no stop set;
    `fit`: the curve already fitted to these points, to save refitting. The rule is the
    module's docstring.
    """
    if len(labels) == 0:
        return Advice(TOO_EARLY, "No model version yet: too early to tell.", *([None] * 7))
    fit = fit if fit is not None else fit_learning_curve(labels, accuracy, n_eval=n_eval, seed=seed)
    gain = half = added = None
    parts = []
    if len(labels) >= 2:
        gain, half, added = measured_gain(labels, accuracy, n_eval=n_eval, lookback=lookback)
        parts.append(f"The last {added:,} labels gained {gain * 100:.1f} points ± {half * 100:.1f}")
    changed = stable = None
    if stability:
        changed = stability[-1].changed
        window = [step.kappa for step in stability[-KAPPA_WINDOW:]]
        stable = len(window) == KAPPA_WINDOW and stabilized_at(window, threshold=KAPPA_THRESHOLD) is not None
    horizon = projected = None
    if fit.fitted:
        horizon = horizon_for(int(labels[-1]), budget)
        projected = fit.projected_gain(int(labels[-1]), horizon)
    if projected is not None and horizon is not None:
        parts.append(
            f"the fitted curve projects {projected.value * 100:+.1f} points (at most {projected.high * 100:+.1f}) "
            f"by {horizon:,} labels"
        )
    if changed is not None:
        parts.append(f"predictions changed on {changed:.1%} of stop-set items")
    if projected is None:
        verdict = TOO_EARLY
        parts.append(f"only {len(set(labels))} model versions, a curve needs {MIN_POINTS}")
    else:
        climbing = gain is not None and half is not None and gain - half > min_gain
        verdict = STILL_PAY if climbing or projected.high >= min_gain or stable is False else BUY_LITTLE
    sentence = "; ".join(parts)
    sentence = (sentence[0].upper() + sentence[1:] if sentence else "") + f": {verdict}."
    return Advice(verdict, sentence, gain, half, added, horizon, projected, changed, stable)
