import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from learner.exceptions import LearnerError
from learner.strategies import density_weighted, information_density

HYPOTHESIS = settings(max_examples=30, deadline=None, database=None)


def test_known_answer_on_three_points() -> None:
    X = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 4.0]])  # pairwise distances 5, 4, 3
    expected = [(1 + 1 / 6 + 1 / 5) / 3, (1 + 1 / 6 + 1 / 4) / 3, (1 + 1 / 5 + 1 / 4) / 3]
    np.testing.assert_allclose(information_density(X, metric="euclidean", device="cpu"), expected, rtol=1e-12)


def test_cosine_is_one_over_two_minus_cos() -> None:
    X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    cos = np.array([[1, 0, 0.5**0.5], [0, 1, 0.5**0.5], [0.5**0.5, 0.5**0.5, 1]])
    np.testing.assert_allclose(information_density(X, device="cpu"), (1 / (2 - cos)).mean(axis=1), rtol=1e-12)


def test_a_sampled_reference_set_estimates_the_full_mean() -> None:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (1500, 8)), rng.normal(6, 1, (500, 8))])  # a big and a small cluster
    full = information_density(X, metric="euclidean", reference_size=len(X), device="cpu")
    sampled = information_density(X, metric="euclidean", reference_size=256, rng=1, device="cpu")
    assert np.abs(sampled - full).max() < 0.02
    assert full[:1500].mean() > full[1500:].mean() + 0.02  # members of the big cluster are more typical
    assert sampled[:1500].mean() > sampled[1500:].mean() + 0.02


def test_chunking_and_torch_input_do_not_change_the_scores() -> None:
    X = np.random.default_rng(2).normal(size=(300, 16)).astype(np.float32)
    whole = information_density(X, device="cpu")
    chunked = information_density(torch.as_tensor(X), device="cpu", chunk_rows=7)
    assert isinstance(chunked, torch.Tensor)
    np.testing.assert_allclose(chunked.numpy(), whole, rtol=1e-5)


def test_density_weighting_demotes_an_uncertain_outlier() -> None:
    scores = np.array([0.9, 0.6, 0.6])  # the outlier (row 0) is the most uncertain
    density = np.array([0.1, 0.8, 0.7])
    weighted = density_weighted(scores, density, beta=1.0)
    assert int(np.argmax(weighted)) == 1
    np.testing.assert_allclose(density_weighted(scores, density, beta=0.0), scores)
    with pytest.raises(LearnerError, match="beta"):
        density_weighted(scores, density, beta=-1)


def test_bad_reference_size_is_refused() -> None:
    with pytest.raises(LearnerError, match="reference_size"):
        information_density(np.ones((3, 2)), reference_size=0)


@HYPOTHESIS
@given(seed=st.integers(0, 2**16), n=st.integers(2, 40))
def test_full_reference_density_is_permutation_equivariant(seed: int, n: int) -> None:
    X = np.random.default_rng(seed).normal(size=(n, 5))
    perm = np.random.default_rng(seed + 1).permutation(n)
    for metric in ("cosine", "euclidean"):
        values = information_density(X, metric=metric, device="cpu")
        np.testing.assert_allclose(information_density(X[perm], metric=metric, device="cpu"), values[perm], rtol=1e-9)
        assert np.all((values > 0) & (values <= 1 + 1e-12))
