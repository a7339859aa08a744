import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from torch.profiler import ProfilerActivity, profile

from learner.batch import k_center_greedy, k_center_greedy_reference
from learner.batch.distances import _native_low_precision, dots, prepare, row_dots
from learner.exceptions import LearnerError

METRICS = ["euclidean", "cosine"]


def grid_points(seed: int, n: int, d: int) -> np.ndarray:
    """Multiples of 1/8 in [-4, 4]: exact in fp16, bf16 and fp32, and so are their dot products
    (d <= 16), so every backend computes identical distances and breaks ties identically."""
    return np.random.default_rng(seed).integers(-32, 33, size=(n, d)).astype(np.float32) / 8


def test_points_on_a_line_with_a_labeled_origin() -> None:
    # Distances to the labeled 0 are 0, 1, 2, 10: take 10; 2 and 1 stay nearest 0; 0 itself last.
    picks, distances = k_center_greedy(np.array([[0.0], [1.0], [2.0], [10.0]]), 4, labeled_embeddings=[[0.0]])
    np.testing.assert_array_equal(picks, [3, 2, 1, 0])
    np.testing.assert_allclose(distances, [10.0, 2.0, 1.0, 0.0])


def test_points_on_a_line_start_nearest_the_mean() -> None:
    # Mean 3.25 -> start at 2 (inf: nothing covered yet), then 10 (8 away), 0 (2 from 2), 1.
    picks, distances = k_center_greedy(np.array([[0.0], [1.0], [2.0], [10.0]]), 4)
    np.testing.assert_array_equal(picks, [2, 3, 0, 1])
    np.testing.assert_allclose(distances, [np.inf, 8.0, 2.0, 1.0])


def test_cosine_ignores_length_and_measures_angle() -> None:
    # Angles to the labeled direction (1, 0): 0 deg (twice as long), 90, 180, 45 deg.
    pool = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0], [1.0, 1.0]])
    picks, distances = k_center_greedy(pool, 4, labeled_embeddings=[[1.0, 0.0]], metric="cosine")
    np.testing.assert_array_equal(picks, [2, 1, 3, 0])  # 180 (1 - cos = 2), 90 (1), 45 (1 - 0.707), 0 deg
    np.testing.assert_allclose(distances, [2.0, 1.0, 1 - np.sqrt(0.5), 0.0], atol=1e-6)


def test_k_beyond_n_duplicates_last_and_k_zero() -> None:
    pool = np.array([[5.0, 5.0], [0.0, 0.0], [5.0, 5.0], [1.0, 0.0], [0.0, 0.0]])
    picks, distances = k_center_greedy(pool, 10, labeled_embeddings=[[0.0, 0.0]])
    np.testing.assert_array_equal(picks, [0, 3, 1, 2, 4])  # the duplicates tie at 0: lowest index first
    np.testing.assert_array_equal(distances[2:], 0.0)
    assert picks.dtype == np.int64 and distances.dtype == np.float64
    assert k_center_greedy(pool, 0)[0].shape == (0,)
    assert k_center_greedy(np.zeros((0, 3)), 4)[0].shape == (0,)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("with_labeled", [False, True])
def test_torch_picks_what_the_numpy_reference_picks(metric: str, seed: int, with_labeled: bool) -> None:
    rng = np.random.default_rng(seed)
    pool = rng.normal(size=(400, 12)).astype(np.float32)
    labeled = rng.normal(size=(30, 12)) if with_labeled else None
    picks, distances = k_center_greedy(pool, 40, labeled_embeddings=labeled, metric=metric, chunk_rows=64)
    expected, expected_distances = k_center_greedy_reference(pool, 40, labeled_embeddings=labeled, metric=metric)
    np.testing.assert_array_equal(picks, expected)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-5)


def test_rng_draws_the_first_pick_when_nothing_is_labeled() -> None:
    pool = np.random.default_rng(3).normal(size=(200, 5))
    picks, distances = k_center_greedy(pool, 10, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(picks, k_center_greedy_reference(pool, 10, rng=np.random.default_rng(7))[0])
    assert picks[0] == np.random.default_rng(7).integers(200) and distances[0] == np.inf


@pytest.mark.parametrize("metric", METRICS)
def test_half_precision_input_picks_what_float32_picks(metric: str) -> None:
    # The same values stored in fp16 or fp32: products accumulate in fp32 either way, so the
    # picks agree; an fp16 accumulator would round 32-term dot products to 11 bits and reorder them.
    pool = np.random.default_rng(0).normal(size=(300, 32)).astype(np.float16)
    labeled = np.random.default_rng(1).normal(size=(10, 32)).astype(np.float32)
    for known in (None, labeled):
        expected = k_center_greedy(pool.astype(np.float32), 30, labeled_embeddings=known, metric=metric)
        got = k_center_greedy(pool, 30, labeled_embeddings=known, metric=metric)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_allclose(got[1], expected[1], rtol=1e-5)


@pytest.mark.parametrize("metric", METRICS)
def test_bfloat16_and_float16_break_grid_ties_like_float32(metric: str) -> None:
    pool, labeled = grid_points(0, 500, 16), grid_points(1, 20, 16)
    expected = k_center_greedy(pool, 60, labeled_embeddings=labeled, metric=metric)
    for half in (torch.float16, torch.bfloat16):
        got = k_center_greedy(torch.from_numpy(pool).to(half), 60, labeled_embeddings=labeled, metric=metric)
        np.testing.assert_array_equal(got[0], expected[0])
    reference = k_center_greedy_reference(pool, 60, labeled_embeddings=labeled, metric=metric)
    np.testing.assert_array_equal(expected[0], reference[0])  # ties are frequent on a grid


def test_bad_inputs_raise() -> None:
    with pytest.raises(LearnerError, match="k must be >= 0"):
        k_center_greedy(np.zeros((3, 2)), -1)
    with pytest.raises(LearnerError, match="Unknown metric 'manhattan'"):
        k_center_greedy(np.zeros((3, 2)), 1, metric="manhattan")
    with pytest.raises(LearnerError, match="2-D"):
        k_center_greedy(np.zeros(3), 1)
    with pytest.raises(LearnerError, match="3 features, embeddings 2"):
        k_center_greedy(np.zeros((3, 2)), 1, labeled_embeddings=np.zeros((1, 3)))
    with pytest.raises(LearnerError, match="NaN"):
        k_center_greedy(np.array([[0.0], [np.nan]]), 1)


small_pools = hnp.arrays(np.float32, st.tuples(st.integers(1, 25), st.integers(1, 3)), elements=st.integers(-3, 3))


@settings(max_examples=60, deadline=None, database=None)
@given(pool=small_pools, k=st.integers(0, 30), n_labeled=st.integers(0, 5), metric=st.sampled_from(METRICS))
def test_picks_are_distinct_farthest_first_and_deterministic(
    pool: np.ndarray, k: int, n_labeled: int, metric: str
) -> None:
    labeled = pool[:n_labeled]  # copies of pool rows: each one is a labeled duplicate
    picks, distances = k_center_greedy(pool, k, labeled_embeddings=labeled, metric=metric)
    assert len(picks) == min(k, len(pool)) == len(set(picks.tolist()))
    assert np.all(np.diff(distances) <= 1e-6)  # farthest-first: cover radius never grows
    covered = [tuple(row) for row in labeled]
    for pick in picks:
        if any(np.allclose(pool[pick], row) for row in labeled) and metric == "euclidean":
            # A labeled duplicate is taken only once every remaining point is a duplicate too.
            remaining = set(range(len(pool))) - set(picks[: list(picks).index(pick)].tolist())
            assert all(tuple(pool[i]) in covered for i in remaining)
        covered.append(tuple(pool[pick]))
    np.testing.assert_array_equal(picks, k_center_greedy(pool, k, labeled_embeddings=labeled, metric=metric)[0])


@settings(max_examples=30, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 60), labeled=st.booleans(), metric=st.sampled_from(METRICS))
def test_permuting_the_pool_permutes_the_picks(seed: int, n: int, labeled: bool, metric: str) -> None:
    rng = np.random.default_rng(seed)
    pool = rng.normal(size=(n, 4))  # continuous values: no ties
    known = rng.normal(size=(3, 4)) if labeled else None
    order = rng.permutation(n)
    picks = k_center_greedy(pool, n // 2, labeled_embeddings=known, metric=metric)[0]
    permuted = k_center_greedy(pool[order], n // 2, labeled_embeddings=known, metric=metric)[0]
    assert set(order[permuted].tolist()) == set(picks.tolist())


def test_large_pool_allocates_vectors_and_blocks_only() -> None:
    # An (n, k) float32 matrix would be 6 MB and the (n, n_labeled) one 1.2 GB; (n,) vectors are 0.4 MB.
    n = 300_000
    pool = np.random.default_rng(0).normal(size=(n, 16)).astype(np.float32)
    labeled = np.random.default_rng(1).normal(size=(1000, 16)).astype(np.float32)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        picks, _ = k_center_greedy(pool, 5, chunk_rows=1024)
        k_center_greedy(pool[:100_000], 20, labeled_embeddings=labeled, chunk_rows=1024)
    largest = max(event.self_cpu_memory_usage for event in prof.events())
    assert largest <= max(n * 4, 1024 * 1000 * 4), largest
    assert len(set(picks.tolist())) == 5


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("metric", METRICS)
def test_cuda_picks_what_cpu_picks(metric: str) -> None:
    pool, labeled = grid_points(0, 3000, 16), grid_points(1, 50, 16)
    for data in (pool, torch.from_numpy(pool).half()):
        cpu = k_center_greedy(data, 100, labeled_embeddings=labeled, metric=metric, device="cpu")
        cuda = k_center_greedy(data, 100, labeled_embeddings=labeled, metric=metric, device="cuda")
        np.testing.assert_array_equal(cuda[0], cpu[0])
        np.testing.assert_allclose(cuda[1], cpu[1], rtol=1e-6)
    noisy = np.random.default_rng(2).normal(size=(5000, 64)).astype(np.float32)
    cpu_picks = k_center_greedy(noisy, 50, metric=metric, device="cpu")[0]
    np.testing.assert_array_equal(k_center_greedy(noisy, 50, metric=metric, device="cuda")[0], cpu_picks)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
def test_row_products_equal_the_general_kernel(metric: str, dtype: torch.dtype) -> None:
    # row_dots multiplies by a pool row in the pool's own dtype and scales after; dots upcasts.
    rows = torch.from_numpy(np.random.default_rng(3).normal(size=(700, 24))).to(dtype)
    rows[5] = 0  # a zero row: cosine has inverse norm 0 there
    pool = prepare(rows, metric, torch.device("cpu"), chunk_rows=128)
    for index in (0, 5, 699):
        center = pool.rows[index].to(pool.acc)
        if pool.inv_norms is not None:
            center = center * pool.inv_norms[index]
        expected = dots(pool, center)
        got = row_dots(pool, torch.tensor(index))
        assert got.dtype == pool.acc
        torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_cuda_half_precision_uses_one_native_product_and_picks_what_float32_picks(half: torch.dtype) -> None:
    assert _native_low_precision(torch.device("cuda"), half), "torch.mm(out_dtype=float32) is missing: fp16 is slow"
    pool = torch.from_numpy(np.random.default_rng(4).normal(size=(20_000, 64)).astype(np.float32)).to(half)
    for metric in METRICS:
        cpu = k_center_greedy(pool.float(), 64, metric=metric, device="cpu")
        cuda = k_center_greedy(pool.cuda(), 64, metric=metric, device="cuda")
        np.testing.assert_array_equal(cuda[0], cpu[0])
        np.testing.assert_allclose(cuda[1], cpu[1], rtol=1e-4)


def test_mixed_numpy_and_tensor_inputs_pick_what_numpy_picks(tensors_stay_on_device: None) -> None:
    rng = np.random.default_rng(8)
    pool, labeled = rng.normal(size=(200, 6)), rng.normal(size=(7, 6))
    for metric in METRICS:
        expected = k_center_greedy(pool, 15, labeled_embeddings=labeled, metric=metric, device="cpu")
        got = k_center_greedy(torch.as_tensor(pool), 15, labeled_embeddings=labeled, metric=metric, device="cpu")
        np.testing.assert_array_equal(got[0], expected[0])
        got = k_center_greedy(pool, 15, labeled_embeddings=torch.as_tensor(labeled), metric=metric, device="cpu")
        np.testing.assert_array_equal(got[0], expected[0])
