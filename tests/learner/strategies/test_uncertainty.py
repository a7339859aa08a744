import math

import numpy as np
import pytest
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from learner.exceptions import LearnerError
from learner.strategies import entropy, least_confidence, margin
from tests.learner.strategies.arrays import probability_rows

UNCERTAINTY = {"least_confidence": least_confidence, "margin": margin, "entropy": entropy}
HYPOTHESIS = settings(max_examples=60, deadline=None, database=None)

PROBS = np.array([[0.5, 0.5], [0.9, 0.1], [1.0, 0.0]])  # (3, 2): undecided, fairly sure, certain


def test_least_confidence_known_answer() -> None:
    np.testing.assert_allclose(least_confidence(PROBS), [0.5, 0.1, 0.0])
    np.testing.assert_allclose(least_confidence(np.array([[0.2, 0.3, 0.5]])), [0.5])


def test_margin_known_answer() -> None:
    np.testing.assert_allclose(margin(PROBS), [0.0, -0.8, -1.0])
    np.testing.assert_allclose(margin(np.array([[0.2, 0.3, 0.5]])), [-0.2])  # top two are 0.5 and 0.3


def test_entropy_known_answer_with_zero_probabilities() -> None:
    expected = [math.log(2), -(0.9 * math.log(0.9) + 0.1 * math.log(0.1)), 0.0]
    scores = entropy(PROBS)
    np.testing.assert_allclose(scores, expected)
    assert scores[2] == 0.0 and not np.signbit(scores[2])  # 0 log 0 = 0, not nan and not -0.0


def test_uncertainty_scorers_put_the_undecided_row_first() -> None:
    for name, scorer in UNCERTAINTY.items():
        scores = scorer(PROBS)
        assert isinstance(scores, np.ndarray) and scores.dtype == np.float64, name
        assert list(np.argsort(-scores)) == [0, 1, 2], name


def test_scorers_agree_with_independent_computations_on_dirichlet_probs() -> None:
    probs = np.random.default_rng(7).dirichlet(np.full(5, 0.5), size=400)  # (400, 5)
    ordered = np.sort(probs, axis=1)  # ascending per row
    np.testing.assert_allclose(entropy(probs), scipy.stats.entropy(probs, axis=1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(least_confidence(probs), 1.0 - ordered[:, -1], rtol=1e-12)
    np.testing.assert_allclose(margin(probs), ordered[:, -2] - ordered[:, -1], rtol=1e-12, atol=1e-15)


def test_torch_input_gives_a_tensor_on_the_device_with_the_same_values() -> None:
    probs = np.random.default_rng(3).dirichlet(np.ones(4), size=50)
    for name, scorer in UNCERTAINTY.items():
        out = scorer(torch.as_tensor(probs, dtype=torch.float32), device="cpu")
        assert isinstance(out, torch.Tensor) and out.shape == (50,), name
        np.testing.assert_allclose(out.numpy(), scorer(probs), atol=1e-6, err_msg=name)


@pytest.mark.parametrize("scorer", list(UNCERTAINTY.values()))
def test_scorers_reject_probs_that_are_not_2d(scorer) -> None:
    with pytest.raises(LearnerError, match="2-D"):
        scorer(np.array([0.5, 0.5]))


def test_margin_needs_two_classes() -> None:
    with pytest.raises(LearnerError, match="at least 2 class columns"):
        margin(np.ones((3, 1)))


def test_scorers_handle_an_empty_pool() -> None:
    for name, scorer in UNCERTAINTY.items():
        assert scorer(np.zeros((0, 4))).shape == (0,), name


@HYPOTHESIS
@given(probs=probability_rows(), data=st.data())
def test_uncertainty_scores_are_permutation_equivariant(probs: np.ndarray, data: st.DataObject) -> None:
    perm = np.array(data.draw(st.permutations(range(len(probs)))), dtype=np.int64)
    for name, scorer in UNCERTAINTY.items():
        np.testing.assert_allclose(scorer(probs[perm]), scorer(probs)[perm], rtol=1e-12, atol=0, err_msg=name)


@HYPOTHESIS
@given(probs=probability_rows())
def test_scores_are_finite_and_bounded(probs: np.ndarray) -> None:
    c = probs.shape[1]
    for name, scorer in UNCERTAINTY.items():
        assert np.all(np.isfinite(scorer(probs))), name
    assert np.all((least_confidence(probs) >= -1e-12) & (least_confidence(probs) <= 1 - 1 / c + 1e-12))
    assert np.all((margin(probs) >= -1 - 1e-12) & (margin(probs) <= 1e-12))
    assert np.all((entropy(probs) >= -1e-12) & (entropy(probs) <= math.log(c) + 1e-9))
