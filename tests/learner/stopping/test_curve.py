import numpy as np
import pytest

from learner.exceptions import LearnerError
from learner.stopping import MIN_POINTS, PowerLaw, fit_learning_curve

TRUTH = PowerLaw(a=0.95, b=2.0, c=0.6)
LABELS = np.arange(10, 410, 10)  # forty versions, ten labels apart


def test_fit_recovers_a_noiseless_curve():
    fit = fit_learning_curve(LABELS, TRUTH(LABELS), n_boot=0)
    assert fit.fitted and fit.law is not None
    assert (fit.law.a, fit.law.b, fit.law.c) == pytest.approx((0.95, 2.0, 0.6), rel=1e-5)
    projected = fit.projected_accuracy(2000)
    assert projected is not None and projected.value == pytest.approx(float(TRUTH(2000)), abs=1e-6)


def test_weighting_by_binomial_variance_also_recovers_a_noiseless_curve():
    fit = fit_learning_curve(LABELS, TRUTH(LABELS), n_eval=400, n_boot=0)
    assert fit.law is not None and (fit.law.a, fit.law.b, fit.law.c) == pytest.approx((0.95, 2.0, 0.6), rel=1e-4)


def test_labels_for_inverts_the_curve():
    fit = fit_learning_curve(LABELS, TRUTH(LABELS), n_boot=0)
    # 0.95 - 2 n^-0.6 = 0.9  <=>  n = (2 / 0.05)^(1 / 0.6) = 40^(5/3) = 467.9 -> 468
    assert fit.labels_for(0.9) == 468
    assert TRUTH(468) >= 0.9 > TRUTH(467)
    assert fit.labels_for(0.95) is None  # the asymptote itself is never reached
    assert fit.labels_for(0.97) is None  # above the asymptote


def test_band_covers_the_truth_on_binomial_noise():
    """Accuracies measured on 400 items; the 95% band at the last point and at 2x the labels holds
    the true curve for most seeds (a bootstrap over 40 points is not exact: ask for 8 of 10)."""
    covered = 0
    for seed in range(10):
        noisy = np.random.default_rng(seed).binomial(400, TRUTH(LABELS)) / 400
        fit = fit_learning_curve(LABELS, noisy, n_eval=400, n_boot=200, seed=seed)
        bands = [fit.projected_accuracy(n) for n in (400, 800)]
        covered += all(
            b is not None and b.low <= float(TRUTH(n)) <= b.high for b, n in zip(bands, (400, 800), strict=True)
        )
    assert covered >= 8


def test_band_is_seeded_and_holds_the_fit():
    noisy = np.random.default_rng(0).binomial(400, TRUTH(LABELS)) / 400
    first = fit_learning_curve(LABELS, noisy, n_eval=400, n_boot=50, seed=3)
    again = fit_learning_curve(LABELS, noisy, n_eval=400, n_boot=50, seed=3)
    assert first == again
    band = first.projected_accuracy(1000)
    assert band is not None and band.low <= band.value <= band.high and band.low < band.high
    gain = first.projected_gain(400, 800)
    assert gain is not None and gain.low <= gain.value <= gain.high and gain.value > 0


def test_too_few_points_give_a_reason_not_an_error():
    fit = fit_learning_curve([10, 20, 20, 30], [0.5, 0.6, 0.61, 0.7])
    assert not fit.fitted
    assert f"at least {MIN_POINTS}" in fit.reason and "got 3" in fit.reason
    assert fit.projected_accuracy(100) is None and fit.projected_gain(30, 60) is None and fit.labels_for(0.8) is None


def test_fit_keeps_to_its_bounds_on_a_falling_curve():
    fit = fit_learning_curve([10, 20, 30, 40, 50], [0.9, 0.85, 0.8, 0.8, 0.78], n_boot=0)
    assert fit.law is not None and fit.law.a <= 1.0 and fit.law.b >= 0.0 and fit.law.c > 0.0


@pytest.mark.parametrize(
    ("labels", "accuracy", "message"),
    [([10, 20], [0.5], "got \\(2,\\) and \\(1,\\)"), ([0, 10, 20, 30], [0.1, 0.2, 0.3, 0.4], "label counts > 0"),
     ([10, 20, 30, 40], [0.1, 0.2, 0.3, 1.4], "accuracies in \\[0, 1\\]")],
)  # fmt: skip
def test_bad_points_are_named(labels, accuracy, message):
    with pytest.raises(LearnerError, match=message):
        fit_learning_curve(labels, accuracy)


def test_labels_needed_brackets_the_truth_and_says_never_when_the_band_levels_off_below():
    """Measured on 400 items: the band of labels needed for 0.9 holds the true 468; a target just
    under the asymptote is reached by the fit but some refits level off below it (never)."""
    noisy = np.random.default_rng(1).binomial(400, TRUTH(LABELS)) / 400
    fit = fit_learning_curve(LABELS, noisy, n_eval=400, n_boot=200, seed=1)
    value, low, high = fit.labels_needed(0.9)
    assert value is not None and low is not None and high is not None
    assert low <= value <= high and low <= 468 <= high
    assert fit.labels_needed(0.99) == (None, None, None) or fit.labels_needed(0.99)[2] is None
    assert fit_learning_curve([10, 20, 30], [0.5, 0.6, 0.7]).labels_needed(0.8) == (None, None, None)
