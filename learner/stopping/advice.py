"""One sentence for the dashboard: do further labels still pay?

The verdict, in order (min_gain defaults to 1 accuracy point):

1. With stop-set predictions for the last KAPPA_WINDOW comparisons (the product records them on
   every version): "more labels buy little" when the predictions have stabilized (Bloodgood and
   Vijay-Shanker 2009: mean kappa of the last 3 successive versions >= 0.99) and the measured
   gain is not clearly climbing (the accuracy gained over the last `lookback` versions is not
   above min_gain at the low end of its 95% interval); otherwise "labels still pay".
2. Without them (no stop set, or fewer than 3 comparisons): the curve rule. "Labels still pay"
   when the measured gain is clearly climbing or the fitted curve's gain from now to the horizon
   may reach min_gain (the high end of its bootstrap band); else "more labels buy little". Fewer
   than MIN_POINTS versions (or a fit that does not converge): "too early to tell".

The fitted curve (acc(n) = a - b n^-c, Figueroa et al. 2012) is always shown when there is one,
as a projection: accuracy at the horizon (the budget while labels remain in it, else twice the
current labels) and the labels it needs for one more point. It does not veto the stop-set
verdict (bench/results/stopping.md): its band's high end stays above one point on saturating
curves, so it never stopped active strategies on digits and MNIST, even past 99% of the full
pool, and on slow, noisy Rotten Tomatoes curves it stopped at 80-90% of the full pool; a
three-parameter law extrapolated from a few noisy points is unreliable far from them (Figueroa
et al.). The stop set needs no labels and measures what the next labels change. Requiring both
stopped none of 12 fresh runs; the stop set's verdict stops 14 of 24, 13 at or past 95% of the
full pool, and never stops Rotten Tomatoes or 4 of 6 raw-pixel MNIST runs within their budgets
(kappa 0.92-0.99). The measured-gain guard keeps a visibly rising model going should the stop
set not move; it changed no stop in those runs.

The measured gain's interval treats the two accuracies as independent samples; both come from
the same evaluation items, whose errors are positively correlated, so the true interval is
narrower and the +- shown errs on the wide side.
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
    projected_accuracy: Projection | None  # fitted accuracy at the horizon, with band
    next_point_labels: int | None  # labels at which the fitted curve is min_gain above now; None: never
    changed: float | None  # share of stop-set items whose prediction changed at the last version
    kappa: float | None  # mean kappa of the last KAPPA_WINDOW comparisons; None without them
    stable: bool | None  # the stabilizing-predictions rule holds now; None without the comparisons


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
        return Advice(TOO_EARLY, "No model version yet: too early to tell.", *([None] * 10))
    fit = fit if fit is not None else fit_learning_curve(labels, accuracy, n_eval=n_eval, seed=seed)
    now = int(labels[-1])
    gain = half = added = None
    parts = []
    if len(labels) >= 2:
        gain, half, added = measured_gain(labels, accuracy, n_eval=n_eval, lookback=lookback)
        parts.append(f"The last {added:,} labels gained {gain * 100:.1f} points ± {half * 100:.1f}")
    changed = kappa = stable = None
    if stability:
        changed = stability[-1].changed
        if len(stability) >= KAPPA_WINDOW:
            window = [step.kappa for step in stability[-KAPPA_WINDOW:]]
            kappa = float(np.mean(window))
            stable = stabilized_at(window, threshold=KAPPA_THRESHOLD) is not None
            parts.append(f"predictions changed on {changed:.1%} of stop-set items (mean kappa {kappa:.3f} over "
                         f"the last {KAPPA_WINDOW} retrains, settled at {KAPPA_THRESHOLD})")  # fmt: skip
        else:
            parts.append(f"predictions changed on {changed:.1%} of stop-set items")
    horizon = projected = reached = next_point = None
    if fit.law is not None:
        horizon = horizon_for(now, budget)
        projected, reached = fit.projected_gain(now, horizon), fit.projected_accuracy(horizon)
        next_point = fit.labels_for(float(fit.law(now)) + min_gain)
    if projected is not None and reached is not None:
        more = f"{min_gain * 100:g} point" + ("" if min_gain == 0.01 else "s")
        further = f"{more} more at {next_point:,} labels" if next_point is not None else f"levels off within {more}"
        parts.append(
            f"the fitted curve projects {reached.value:.1%} at {horizon:,} labels ({projected.value * 100:+.1f} "
            f"points, at most {projected.high * 100:+.1f}) and {further}"
        )
    climbing = gain is not None and half is not None and gain - half > min_gain
    if stable is not None:
        verdict = BUY_LITTLE if stable and not climbing else STILL_PAY
    elif projected is None:
        verdict = TOO_EARLY
        distinct = len(set(labels))
        parts.append(f"only {distinct} model versions, a curve needs {MIN_POINTS}" if distinct < MIN_POINTS
                     else "the learning curve does not fit these points")  # fmt: skip
    else:
        verdict = STILL_PAY if climbing or projected.high >= min_gain else BUY_LITTLE
    sentence = "; ".join(parts)
    sentence = (sentence[0].upper() + sentence[1:] if sentence else "") + f": {verdict}."
    return Advice(verdict, sentence, gain, half, added, horizon, projected, reached, next_point, changed, kappa,
                  stable)  # fmt: skip
