"""Turn scores into an order of items to ask about; scoring itself lives in learner.strategies.

The order is deterministic: highest score first, ties broken by the lower index, so two runs
over the same scores always hand annotators the same items. NaN scores go last.
"""

import numpy as np

from learner.exceptions import LearnerError
from learner.types import FloatArray, IntArray


def rank(scores: FloatArray) -> IntArray:
    """All indices of `scores` (n,), highest score first, ties by lower index -> (n,) int64."""
    values = np.asarray(scores, dtype=np.float64)
    if values.ndim != 1:
        raise LearnerError(f"scores must be 1-D (n_samples,), got shape {values.shape}.")
    # A stable sort of -scores keeps equal scores in index order; argsort puts NaN last.
    return np.argsort(-values, kind="stable").astype(np.int64)


def select_top_k(scores: FloatArray, k: int) -> IntArray:
    """The `k` indices with the highest scores (n,), best first; all n when k > n -> (min(k, n),)."""
    if k < 0:
        raise LearnerError(f"k must be >= 0, got {k}.")
    return rank(scores)[:k]
