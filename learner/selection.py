"""Turn scores into an order of items to ask about; scoring itself lives in learner.strategies.

The order is deterministic: highest score first, ties broken by the lower index, so two runs
over the same scores always hand annotators the same items. NaN scores go last.

numpy scores are ordered with numpy; a torch tensor is ordered on its own device (a stable
device sort, or top-k for a prefix) and the indices come back as an int64 tensor there, so a
GPU round never copies 1M scores to the host to sort them. Both follow the same rule exactly.
"""

from typing import Any, overload

import numpy as np
import torch

from learner.exceptions import LearnerError
from learner.types import FloatArray, IntArray


@overload
def rank(scores: torch.Tensor) -> torch.Tensor: ...
@overload
def rank(scores: FloatArray) -> IntArray: ...
def rank(scores: Any) -> Any:
    """All indices of `scores` (n,), highest score first, ties by lower index, NaN last -> (n,) int64.

    numpy in, numpy out; a tensor in, an int64 tensor on its device out.
    """
    if isinstance(scores, torch.Tensor):
        _check_1d(tuple(scores.shape))
        # torch's stable sort, like numpy's, keeps equal keys in index order and puts NaN last.
        return torch.sort(-scores, stable=True).indices
    values = np.asarray(scores, dtype=np.float64)
    _check_1d(values.shape)
    # A stable sort of -scores keeps equal scores in index order; argsort puts NaN last.
    return np.argsort(-values, kind="stable").astype(np.int64)


@overload
def select_top_k(scores: torch.Tensor, k: int) -> torch.Tensor: ...
@overload
def select_top_k(scores: FloatArray, k: int) -> IntArray: ...
def select_top_k(scores: Any, k: int) -> Any:
    """The `k` indices with the highest scores (n,), best first; all n when k > n -> (min(k, n),).

    The same as rank(scores)[:k], without sorting all n: the k-th largest score is found by a
    partial selection (numpy partition, torch topk), every item at or above it is a candidate
    (ties at the cut included, NaN counted as -inf there), and only the candidates are sorted.
    numpy in, numpy out; a tensor in, an int64 tensor on its device out.
    """
    if k < 0:
        raise LearnerError(f"k must be >= 0, got {k}.")
    if isinstance(scores, torch.Tensor):
        _check_1d(tuple(scores.shape))
        n = len(scores)
        if k == 0:
            return torch.zeros(0, dtype=torch.int64, device=scores.device)
        if 4 * k >= n:  # a prefix this long: one full sort is as cheap
            return rank(scores)[:k]
        keyed = torch.where(torch.isnan(scores), float("-inf"), scores)
        threshold = keyed.topk(k).values[-1]  # the k-th largest, NaN below everything
        on_device = torch.nonzero(keyed >= threshold).flatten()  # (m,) m >= k, in index order
        return on_device[rank(scores[on_device])[:k]]
    values = np.asarray(scores, dtype=np.float64)
    _check_1d(values.shape)
    n = len(values)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if 4 * k >= n:
        return rank(values)[:k]
    keyed_values = np.where(np.isnan(values), -np.inf, values)
    threshold_value = np.partition(keyed_values, n - k)[n - k]  # the k-th largest
    candidates = np.flatnonzero(keyed_values >= threshold_value)  # (m,) m >= k, in index order
    return candidates[rank(values[candidates])[:k]]


def _check_1d(shape: tuple[int, ...]) -> None:
    if len(shape) != 1:
        raise LearnerError(f"scores must be 1-D (n_samples,), got shape {shape}.")
