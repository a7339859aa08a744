"""Deal one selected batch out to several annotators working at the same time."""

import numpy as np

from learner.exceptions import LearnerError
from learner.types import IntArray


def split_for_annotators(picks: IntArray, n_annotators: int) -> list[IntArray]:
    """Round-robin `picks` (k,), best first, into n_annotators disjoint arrays covering all.

    Annotator a gets picks[a::n_annotators]: everyone's first item is among the n best, and
    lists differ in length by at most one (empty when k < n_annotators).
    """
    if n_annotators < 1:
        raise LearnerError(f"n_annotators must be >= 1, got {n_annotators}.")
    picks = np.asarray(picks)
    if picks.ndim != 1:
        raise LearnerError(f"picks must be 1-D (k,), got shape {picks.shape}.")
    return [picks[a::n_annotators].copy() for a in range(n_annotators)]
