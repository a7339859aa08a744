import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from learner.exceptions import LearnerError
from learner.stopping import StabilityStep, cohen_kappa, prediction_change, stability_series, stabilized_at


def test_kappa_known_answer_by_hand():
    # p_o = 3/4; shares (1/2, 1/2) and (1/4, 3/4) -> p_e = 1/8 + 3/8 = 1/2; kappa = (3/4 - 1/2) / (1/2)
    assert cohen_kappa([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(0.5)
    assert cohen_kappa(list("aabbcc"), list("abbccc")) == pytest.approx(0.5)


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=60).filter(
        lambda pairs: len({v for pair in pairs for v in pair}) > 1
    )
)
def test_kappa_matches_sklearn(pairs):
    a, b = (np.array(column) for column in zip(*pairs, strict=True))
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_kappa_of_identical_constant_predictions_is_one_where_sklearn_says_nan():
    assert cohen_kappa(["a"] * 5, ["a"] * 5) == 1.0
    assert cohen_kappa(["a", "b"], ["a", "b"]) == 1.0


def test_prediction_change_counts_moved_items():
    assert prediction_change([1, 2, 3, 4], [1, 2, 0, 0]) == 0.5
    with pytest.raises(LearnerError, match=r"\(2,\) and \(3,\)"):
        prediction_change([1, 2], [1, 2, 3])


def test_stability_series_compares_each_version_with_the_one_before():
    steps = stability_series([10, 20, 30], [[0, 0, 1, 1], [0, 1, 1, 1], [0, 1, 1, 1]])
    assert steps == [StabilityStep(20, 0.25, pytest.approx(0.5)), StabilityStep(30, 0.0, 1.0)]
    with pytest.raises(LearnerError, match="got 2 and 1"):
        stability_series([10, 20], [[0, 1]])


def test_paper_rule_fires_once_the_mean_of_three_kappas_reaches_the_threshold():
    kappas = [0.80, 0.95, 0.99, 1.0, 0.98, 1.0, 1.0]
    # means of three ending at index 2, 3, 4: .913, .980, .990 -> stop at the 5th comparison
    assert stabilized_at(kappas) == 4
    # every one of three >= .99: each window holds the .98 or a kappa below .99, until one more 1.0
    assert stabilized_at(kappas, rule="all") is None
    assert stabilized_at([*kappas, 1.0], rule="all") == 7
    assert stabilized_at([1.0, 1.0]) is None  # fewer comparisons than the window
    with pytest.raises(LearnerError, match="got 0"):
        stabilized_at([1.0], window=0)
