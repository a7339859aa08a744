import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from learner.exceptions import LearnerError
from learner.selection import rank, select_top_k


def test_select_top_k_highest_first() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.7])
    np.testing.assert_array_equal(select_top_k(scores, 2), [1, 3])


def test_ties_break_by_lower_index() -> None:
    scores = np.array([0.2, 0.8, 0.5, 0.8, 0.5, 0.8])
    np.testing.assert_array_equal(select_top_k(scores, 4), [1, 3, 5, 2])
    np.testing.assert_array_equal(rank(scores), [1, 3, 5, 2, 4, 0])


def test_k_beyond_n_returns_everything_and_k_zero_nothing() -> None:
    scores = np.array([0.3, 0.1, 0.2])
    np.testing.assert_array_equal(select_top_k(scores, 10), [0, 2, 1])
    assert select_top_k(scores, 0).shape == (0,)
    assert select_top_k(np.array([]), 3).shape == (0,)


def test_nan_scores_go_last() -> None:
    np.testing.assert_array_equal(rank(np.array([np.nan, 0.1, 0.5])), [2, 1, 0])


def test_bad_inputs_raise() -> None:
    with pytest.raises(LearnerError, match="k must be >= 0"):
        select_top_k(np.array([0.1]), -1)
    with pytest.raises(LearnerError, match="1-D"):
        rank(np.zeros((2, 2)))


@settings(max_examples=100, deadline=None, database=None)
@given(
    scores=hnp.arrays(np.float64, st.integers(0, 30), elements=st.sampled_from([0.0, 0.25, 0.5, 1.0, -2.0])),
    k=st.integers(0, 40),
)
def test_top_k_matches_a_plain_python_sort(scores: np.ndarray, k: int) -> None:
    expected = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]  # few values: many ties
    selected = select_top_k(scores, k)
    assert selected.tolist() == expected
    assert selected.dtype == np.int64


SCORE_VALUES = st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, -2.0, np.inf, -np.inf, np.nan])


@settings(max_examples=200, deadline=None, database=None)
@given(scores=hnp.arrays(np.float64, st.integers(0, 60), elements=SCORE_VALUES), k=st.integers(0, 70))
def test_tensor_order_is_the_numpy_order(scores: np.ndarray, k: int) -> None:
    # Few distinct values: ties, signed zeros, infinities and NaN everywhere, at every cut.
    for dtype in (torch.float64, torch.float32):
        tensor = torch.as_tensor(scores, dtype=dtype)
        ranked, top = rank(tensor), select_top_k(tensor, k)
        assert isinstance(ranked, torch.Tensor) and ranked.dtype == torch.int64
        assert isinstance(top, torch.Tensor) and top.dtype == torch.int64
        assert ranked.tolist() == rank(scores).tolist()
        assert top.tolist() == select_top_k(scores, k).tolist() == rank(scores)[:k].tolist()


@settings(max_examples=50, deadline=None, database=None)
@given(
    scores=hnp.arrays(np.float64, st.integers(50, 400), elements=st.floats(-1, 1) | SCORE_VALUES),
    k=st.integers(1, 12),
)
def test_partial_selection_equals_the_full_sort(scores: np.ndarray, k: int) -> None:
    # k well below n / 4 takes the partition path: it must agree with sorting everything.
    assert select_top_k(scores, k).tolist() == rank(scores)[:k].tolist()
    assert select_top_k(torch.as_tensor(scores), k).tolist() == rank(scores)[:k].tolist()


def test_nan_goes_after_minus_infinity_at_the_cut() -> None:
    scores = np.array([np.nan, -np.inf, 0.3, np.nan, -np.inf] + [-5.0] * 0)
    np.testing.assert_array_equal(rank(scores), [2, 1, 4, 0, 3])
    big = np.concatenate([np.full(30, np.nan), [-np.inf, 1.0]])
    assert select_top_k(big, 3).tolist() == [31, 30, 0]
    assert select_top_k(torch.as_tensor(big), 3).tolist() == [31, 30, 0]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_cuda_orders_like_numpy(dtype: torch.dtype) -> None:
    rng = np.random.default_rng(0)
    scores = rng.choice([0.0, -0.0, 0.25, 1.0, np.inf, -np.inf, np.nan], size=200_000)  # ties everywhere
    scores[::7] = rng.random(len(scores[::7]))
    on_cuda = torch.as_tensor(scores, dtype=dtype, device="cuda")
    host = on_cuda.cpu().numpy().astype(np.float64)
    ranked = rank(on_cuda)
    assert ranked.device.type == "cuda"
    np.testing.assert_array_equal(ranked.cpu().numpy(), rank(host))
    for k in (1, 20, 5000, 200_000):
        np.testing.assert_array_equal(select_top_k(on_cuda, k).cpu().numpy(), rank(host)[:k])
