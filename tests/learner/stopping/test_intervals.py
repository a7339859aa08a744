import numpy as np
import pytest

from learner.exceptions import LearnerError
from learner.stopping import bootstrap_interval, macro_f1, wilson_interval, z_value


def wilson_by_hand(k: int, n: int, z: float) -> tuple[float, float]:
    """The textbook formula, written out once more: (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)."""
    p = k / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return center - half, center + half


@pytest.mark.parametrize(
    ("correct", "n", "confidence", "expected"),
    [  # statsmodels 0.15 proportion_confint(correct, n, alpha=1 - confidence, method="wilson")
        (8, 10, 0.95, (0.49016247153664183, 0.9433178485456247)),
        (0, 10, 0.95, (0.0, 0.2775327998628892)),
        (10, 10, 0.95, (0.7224672001371107, 1.0)),
        (45, 50, 0.95, (0.7863976856252035, 0.9565242350681096)),
        (360, 400, 0.90, (0.8725764373981635, 0.922048829627685)),
    ],
)
def test_wilson_interval_known_answers(correct, n, confidence, expected):
    assert wilson_interval(correct, n, confidence) == pytest.approx(expected, abs=1e-12)


def test_wilson_interval_is_the_formula():
    low, high = wilson_by_hand(8, 10, 1.959963984540054)
    assert wilson_interval(8, 10) == pytest.approx((low, high), abs=1e-12)


def test_wilson_interval_agrees_with_statsmodels_where_installed():
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    for correct, n in [(1, 3), (17, 40), (999, 1000), (250, 500)]:
        for confidence in (0.8, 0.95, 0.99):
            expected = proportion.proportion_confint(correct, n, alpha=1 - confidence, method="wilson")
            assert wilson_interval(correct, n, confidence) == pytest.approx(expected, abs=1e-12)


def test_wilson_interval_with_no_items_is_everything_and_bad_counts_are_named():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(LearnerError, match="correct=11, n=10"):
        wilson_interval(11, 10)
    with pytest.raises(LearnerError, match="between 0 and 1, got 95"):
        z_value(95)


def test_macro_f1_known_answer():
    # class a: P = 1, R = 1/2 -> F1 2/3; class b: P = 2/3, R = 1 -> F1 4/5
    assert macro_f1(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_bootstrap_interval_is_seeded_and_brackets_the_score():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 300)
    y_pred = np.where(rng.random(300) < 0.8, y_true, rng.integers(0, 3, 300))
    first = bootstrap_interval(y_true, y_pred, n_resamples=300, rng=np.random.default_rng(1))
    again = bootstrap_interval(y_true, y_pred, n_resamples=300, rng=np.random.default_rng(1))
    assert first == again
    assert first[0] < macro_f1(y_true, y_pred) < first[1]
    assert first[1] - first[0] < 0.15  # 300 items: a few points either side


def test_bootstrap_of_accuracy_is_close_to_wilson_on_many_items():
    y_true = np.zeros(1000, dtype=int)
    y_pred = np.r_[np.zeros(900, dtype=int), np.ones(100, dtype=int)]  # 90% right

    def accuracy(t: np.ndarray, p: np.ndarray) -> float:
        return float(np.mean(t == p))

    boot = bootstrap_interval(y_true, y_pred, accuracy, n_resamples=2000, rng=np.random.default_rng(0))
    assert boot == pytest.approx(wilson_interval(900, 1000), abs=0.005)


def test_bootstrap_interval_names_mismatched_arrays():
    with pytest.raises(LearnerError, match=r"\(3,\) and \(2,\)"):
        bootstrap_interval([0, 1, 1], [0, 1], rng=np.random.default_rng(0))
