import numpy as np
import pytest

from learner.stopping import (
    BUY_LITTLE,
    STILL_PAY,
    TOO_EARLY,
    PowerLaw,
    StabilityStep,
    advise,
    horizon_for,
    measured_gain,
)

FLAT = PowerLaw(a=0.96, b=30.0, c=1.5)  # within 0.02 of its asymptote by 100 labels
STEEP = PowerLaw(a=0.95, b=2.0, c=0.4)  # still climbing a point per hundred labels at 600


def points(law: PowerLaw, last: int, step: int = 50) -> tuple[list[int], list[float]]:
    labels = list(range(step, last + 1, step))
    return labels, [round(float(law(n)) * 1000) / 1000 for n in labels]  # measured on 1,000 items


def steady(kappa: float, changed: float) -> list[StabilityStep]:
    return [StabilityStep(n, changed, kappa) for n in (450, 500, 550, 600)]


def test_measured_gain_and_its_half_width_by_hand():
    gain, half, added = measured_gain([100, 200, 300, 400, 500], [0.80, 0.85, 0.88, 0.89, 0.90], n_eval=400)
    # last 3 versions: 200 -> 500 labels, 0.85 -> 0.90; 1.96 sqrt((.9 * .1 + .85 * .15) / 400) = 0.0457
    assert (gain, added) == (pytest.approx(0.05), 300)
    assert half == pytest.approx(1.959964 * np.sqrt((0.09 + 0.1275) / 400), rel=1e-6)


def test_horizon_is_the_budget_until_it_is_spent_then_double():
    assert horizon_for(300, 1000) == 1000
    assert horizon_for(1000, 1000) == 2000
    assert horizon_for(300, None) == 600


def test_a_flat_curve_with_stable_predictions_buys_little():
    labels, accuracy = points(FLAT, 600)
    advice = advise(labels, accuracy, n_eval=1000, budget=800, stability=steady(0.998, 0.002))
    assert advice.verdict == BUY_LITTLE
    assert advice.stable is True and advice.horizon == 800
    assert advice.projected_gain is not None and advice.projected_gain.high < 0.01
    # by hand: .957 -> .958 from 450 to 600 labels; 1.96 sqrt((.958 * .042 + .957 * .043) / 1000) = .0177;
    # 30 (600^-1.5 - 800^-1.5) = .0007; "at most" is the seeded bootstrap's 97.5th percentile
    assert advice.sentence == (
        "The last 150 labels gained 0.1 points ± 1.8; the fitted curve projects +0.1 points (at most +0.3) "
        "by 800 labels; predictions changed on 0.2% of stop-set items: more labels buy little."
    )


def test_a_climbing_curve_still_pays():
    labels, accuracy = points(STEEP, 600)
    advice = advise(labels, accuracy, n_eval=1000, budget=2000)
    assert advice.verdict == STILL_PAY
    assert advice.projected_gain is not None and advice.projected_gain.value > 0.02
    assert advice.sentence.endswith("by 2,000 labels: labels still pay.")
    assert advice.changed is None and "predictions" not in advice.sentence  # no stop set, nothing said


def test_unsettled_predictions_keep_a_flat_curve_going():
    labels, accuracy = points(FLAT, 600)
    advice = advise(labels, accuracy, n_eval=1000, budget=800, stability=steady(0.97, 0.02))
    assert advice.verdict == STILL_PAY and advice.stable is False
    assert "predictions changed on 2.0% of stop-set items: labels still pay." in advice.sentence


def test_too_few_versions_say_so():
    advice = advise([50, 100], [0.6, 0.7], n_eval=400)  # 1.96 sqrt((.7 * .3 + .6 * .4) / 400) = .066
    assert advice.verdict == TOO_EARLY and advice.projected_gain is None
    assert advice.sentence == (
        "The last 50 labels gained 10.0 points ± 6.6; only 2 model versions, a curve needs 4: too early to tell."
    )
    assert advise([], [], n_eval=400).sentence == "No model version yet: too early to tell."
