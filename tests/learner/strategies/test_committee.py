import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from learner.exceptions import LearnerError
from learner.strategies import bald, consensus_entropy, entropy, max_disagreement, vote_entropy
from tests.learner.strategies.arrays import committee_probs

HYPOTHESIS = settings(max_examples=60, deadline=None, database=None)
SCORERS = {"vote_entropy": vote_entropy, "consensus_entropy": consensus_entropy,
           "max_disagreement": max_disagreement, "bald": bald}  # fmt: skip

# Three members, three items: all agree and are sure; agree but unsure; sure and disagree.
AGREE_SURE = [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
AGREE_UNSURE = [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]
DISAGREE = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
COMMITTEE = np.array([AGREE_SURE, AGREE_UNSURE, DISAGREE]).transpose(1, 0, 2)  # (m=3, n=3, c=2)


def test_vote_entropy_known_answer() -> None:
    # Votes: (0,0,0), (0,0,0) (ties go to the first class), (0,1,0) -> shares 1, 1, (2/3, 1/3).
    expected = [0.0, 0.0, -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))]
    np.testing.assert_allclose(vote_entropy(COMMITTEE), expected, atol=1e-12)


def test_consensus_entropy_known_answer() -> None:
    np.testing.assert_allclose(consensus_entropy(COMMITTEE), entropy(COMMITTEE.mean(axis=0)), atol=1e-12)
    np.testing.assert_allclose(consensus_entropy(COMMITTEE)[:2], [0.0, math.log(2)], atol=1e-12)


def test_disagreement_measures_ignore_shared_uncertainty() -> None:
    # An item every member finds 50/50 is uncertain but not disputed: BALD and KL give 0 there.
    for scorer in (bald, max_disagreement):
        scores = scorer(COMMITTEE)
        np.testing.assert_allclose(scores[:2], [0.0, 0.0], atol=1e-12)
        assert scores[2] > 0.1
    mean = np.array([2 / 3, 1 / 3])  # consensus on the disputed item
    kl_sure_first = math.log(1 / mean[0])  # KL([1, 0] || mean)
    kl_sure_second = math.log(1 / mean[1])
    np.testing.assert_allclose(max_disagreement(COMMITTEE)[2], kl_sure_second)
    np.testing.assert_allclose(bald(COMMITTEE)[2], (2 * kl_sure_first + kl_sure_second) / 3)


def test_bald_is_consensus_entropy_minus_mean_member_entropy() -> None:
    p = np.random.default_rng(0).dirichlet(np.full(4, 0.7), size=(5, 200))  # (5, 200, 4)
    expected = entropy(p.mean(axis=0)) - np.mean([entropy(member) for member in p], axis=0)
    np.testing.assert_allclose(bald(p), expected, atol=1e-12)


def test_torch_input_gives_tensors_matching_numpy() -> None:
    p = np.random.default_rng(1).dirichlet(np.ones(3), size=(4, 30))
    for name, scorer in SCORERS.items():
        out = scorer(torch.as_tensor(p, dtype=torch.float32), device="cpu")
        assert isinstance(out, torch.Tensor), name
        np.testing.assert_allclose(out.numpy(), scorer(p), atol=1e-5, err_msg=name)


@pytest.mark.parametrize("scorer", list(SCORERS.values()))
def test_committee_scorers_need_a_3d_array(scorer) -> None:
    with pytest.raises(LearnerError, match="3-D"):
        scorer(np.full((4, 2), 0.5))


@HYPOTHESIS
@given(p=committee_probs(), data=st.data())
def test_committee_scores_are_permutation_equivariant_and_bounded(p: np.ndarray, data: st.DataObject) -> None:
    perm = np.array(data.draw(st.permutations(range(p.shape[1]))), dtype=np.int64)
    for name, scorer in SCORERS.items():
        scores = scorer(p)
        np.testing.assert_allclose(scorer(p[:, perm]), scores[perm], rtol=1e-10, atol=1e-12, err_msg=name)
        assert np.all(np.isfinite(scores)) and np.all(scores >= -1e-12), name
    assert np.all(bald(p) <= consensus_entropy(p) + 1e-9)  # MI <= H(consensus)
    assert np.all(vote_entropy(p) <= math.log(p.shape[0]) + 1e-9)  # m voters: at most log m


def test_scoring_in_blocks_of_items_changes_no_score(monkeypatch) -> None:
    p = np.random.default_rng(4).dirichlet(np.full(4, 0.5), size=(3, 50))  # (3, 50, 4)
    whole = {name: scorer(p, device="cpu") for name, scorer in SCORERS.items()}
    monkeypatch.setattr("learner.strategies.committee.CPU_BLOCK_ITEMS", 7)  # 50 items in 8 blocks
    for name, scorer in SCORERS.items():
        np.testing.assert_array_equal(scorer(p, device="cpu"), whole[name], err_msg=name)
