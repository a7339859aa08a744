import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learner.batch import split_for_annotators
from learner.exceptions import LearnerError


def test_round_robin_gives_everyone_a_top_item() -> None:
    parts = split_for_annotators(np.array([40, 10, 30, 20, 50]), 2)
    assert [part.tolist() for part in parts] == [[40, 30, 50], [10, 20]]


def test_more_annotators_than_picks_and_bad_counts() -> None:
    assert [part.tolist() for part in split_for_annotators(np.array([7]), 3)] == [[7], [], []]
    with pytest.raises(LearnerError, match="n_annotators must be >= 1, got 0"):
        split_for_annotators(np.array([1, 2]), 0)


@settings(max_examples=50, deadline=None, database=None)
@given(k=st.integers(0, 40), n_annotators=st.integers(1, 12))
def test_parts_cover_all_picks_without_overlap(k: int, n_annotators: int) -> None:
    picks = np.random.default_rng(k).permutation(1000)[:k]
    parts = split_for_annotators(picks, n_annotators)
    assert len(parts) == n_annotators
    assert sorted(np.concatenate(parts).tolist()) == sorted(picks.tolist())
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert {int(part[0]) for part in parts if len(part)} == set(picks[:n_annotators].tolist())
