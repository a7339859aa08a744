import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from learner.batch import badge
from learner.batch.badge import gradient_factors, gradient_sq_distances
from learner.batch.distances import prepare
from learner.exceptions import LearnerError


def tiny_problem(seed: int, n: int = 9, c: int = 3, d: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, c))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probs, rng.normal(size=(n, d))


def explicit_gradients(probs: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
    """The (n, c * d) gradient embeddings of the paper, built literally from outer products."""
    a = probs.copy()
    a[np.arange(len(a)), probs.argmax(axis=1)] -= 1.0  # p - e_yhat
    return np.stack([np.outer(a_i, h_i).ravel() for a_i, h_i in zip(a, embeddings, strict=True)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_factored_distances_equal_brute_force_outer_products(seed: int) -> None:
    probs, embeddings = tiny_problem(seed)
    g = explicit_gradients(probs, embeddings)  # (n, c * d)
    pool = prepare(embeddings, "euclidean", torch.device("cpu"))
    a, g_sq = gradient_factors(probs, pool)
    np.testing.assert_allclose(g_sq.numpy(), (g**2).sum(axis=1), rtol=1e-12)
    for j in range(len(g)):
        brute = ((g - g[j]) ** 2).sum(axis=1)  # (n,)
        np.testing.assert_allclose(gradient_sq_distances(pool, a, g_sq, j).numpy(), brute, rtol=1e-9, atol=1e-12)


def brute_force_badge(probs: np.ndarray, embeddings: np.ndarray, k: int, seed: int) -> list[int]:
    """k-means++ seeding over explicit gradients: largest norm first, then D^2 sampling."""
    g, rng = explicit_gradients(probs, embeddings), np.random.default_rng(seed)
    picks = [int(np.argmax((g**2).sum(axis=1)))]
    while len(picks) < k:
        d2 = ((g[:, None, :] - g[None, picks, :]) ** 2).sum(axis=2).min(axis=1)  # (n,)
        d2[picks] = 0.0
        cumulative = np.cumsum(d2)
        picks.append(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")))
    return picks


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_seeding_matches_brute_force_kmeans_plus_plus(seed: int) -> None:
    probs, embeddings = tiny_problem(seed, n=30)
    np.testing.assert_array_equal(badge(probs, embeddings, 8, rng=seed), brute_force_badge(probs, embeddings, 8, seed))


def test_first_pick_has_the_largest_gradient_norm() -> None:
    probs = np.array([[0.98, 0.02], [0.5, 0.5], [0.6, 0.4], [0.9, 0.1]])
    embeddings = np.array([[1.0, 0.0], [0.1, 0.0], [1.0, 1.0], [3.0, 0.0]])
    # ||g||^2 = 2 (1 - p_max)^2 ||h||^2: 0.0008, 0.005, 0.32, 0.18
    assert badge(probs, embeddings, 1, rng=0).tolist() == [2]


@settings(max_examples=30, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), k=st.integers(0, 50), confident=st.booleans())
def test_picks_are_distinct_and_deterministic_for_a_seed(seed: int, n: int, k: int, confident: bool) -> None:
    probs, embeddings = tiny_problem(seed, n=n)
    if confident:  # every gradient is 0: the D^2 weights vanish and the fallback draws uniformly
        probs = np.eye(3)[probs.argmax(axis=1)]
    picks = badge(probs, embeddings.astype(np.float32), k, rng=np.random.default_rng(seed))
    assert len(picks) == min(k, n) == len(set(picks.tolist()))
    assert picks.dtype == np.int64
    np.testing.assert_array_equal(picks, badge(probs, embeddings.astype(np.float32), k, rng=seed))


def test_duplicates_come_after_distinct_gradients() -> None:
    probs, embeddings = tiny_problem(4, n=6)
    probs, embeddings = np.repeat(probs, 3, axis=0), np.repeat(embeddings, 3, axis=0)  # each row 3 times
    picks = badge(probs, embeddings, 18, rng=0)
    assert sorted(picks.tolist()) == list(range(18))
    assert len({p // 3 for p in picks[:6]}) == 6  # one of each distinct row before any copy


def test_shape_mismatch_raises() -> None:
    with pytest.raises(LearnerError, match="n_samples = 3"):
        badge(np.full((2, 2), 0.5), np.zeros((3, 4)), 1, rng=0)


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_half_precision_embeddings_pick_what_float32_picks(half: torch.dtype) -> None:
    # The same values in fp16/bf16 or fp32: products accumulate in fp32 either way.
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(2000, 5))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    embeddings = torch.from_numpy(rng.normal(size=(2000, 32)).astype(np.float32)).to(half)
    expected = badge(probs, embeddings.float(), 40, rng=3, device="cpu")
    np.testing.assert_array_equal(badge(probs, embeddings, 40, rng=3, device="cpu"), expected)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_cuda_half_precision_picks_what_cpu_float32_picks(half: torch.dtype) -> None:
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(20_000, 10))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    embeddings = torch.from_numpy(rng.normal(size=(20_000, 64)).astype(np.float32)).to(half)
    cpu_pool = prepare(embeddings.float(), "euclidean", torch.device("cpu"))
    cuda_pool = prepare(embeddings.cuda(), "euclidean", torch.device("cuda"))
    cpu_a, cpu_g = gradient_factors(probs, cpu_pool)
    cuda_a, cuda_g = gradient_factors(probs, cuda_pool)
    for index in (0, 17, 19_999):  # the fp16/bf16 product on CUDA gives the float32 distances
        on_cuda = gradient_sq_distances(cuda_pool, cuda_a, cuda_g, index).cpu()
        torch.testing.assert_close(on_cuda, gradient_sq_distances(cpu_pool, cpu_a, cpu_g, index), rtol=1e-4, atol=1e-3)
    got = badge(torch.as_tensor(probs).cuda(), embeddings.cuda(), 50, rng=3, device="cuda")
    # D^2 draws may part ways once float32 sums round differently; the first pick cannot.
    assert got[0] == badge(probs, embeddings.float(), 1, rng=3, device="cpu")[0] and len(set(got.tolist())) == 50


def test_mixed_numpy_and_tensor_inputs_pick_what_numpy_picks(tensors_stay_on_device: None) -> None:
    probs, embeddings = tiny_problem(3, n=60, c=4, d=5)
    expected = badge(probs, embeddings, 12, rng=1, device="cpu")
    np.testing.assert_array_equal(badge(probs, torch.as_tensor(embeddings), 12, rng=1, device="cpu"), expected)
    np.testing.assert_array_equal(badge(torch.as_tensor(probs), embeddings, 12, rng=1, device="cpu"), expected)
