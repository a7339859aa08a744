"""Tweezer's scorers against modAL's own code on the same probabilities: same scores, same picks.

modAL is driven through bench.modal_adapters (fixed probabilities behind its estimator API);
its `teach()` is never called, since modAL 0.4.2.1's breaks on scikit-learn >= 1.8.
modAL reports the margin as top1 - top2 and picks the smallest; ours is its negative, so that
every Tweezer score ranks higher = ask first.
"""

import numpy as np
import pytest
from modAL.density import information_density as modal_information_density
from modAL.disagreement import (
    KL_max_disagreement,
    consensus_entropy_sampling,
    max_disagreement_sampling,
    vote_entropy_sampling,
)
from modAL.disagreement import consensus_entropy as modal_consensus_entropy
from modAL.disagreement import vote_entropy as modal_vote_entropy
from modAL.uncertainty import (
    classifier_entropy,
    classifier_margin,
    classifier_uncertainty,
    entropy_sampling,
    margin_sampling,
    uncertainty_sampling,
)

from bench.modal_adapters import modal_committee, modal_learner, row_ids
from learner.selection import select_top_k
from learner.strategies import (
    consensus_entropy,
    entropy,
    information_density,
    least_confidence,
    margin,
    max_disagreement,
    vote_entropy,
)

K = 25


@pytest.fixture(params=[0, 1, 2])
def probs(request) -> np.ndarray:
    """(n=400, c) probabilities with a different class count and sharpness per seed."""
    rng = np.random.default_rng(request.param)
    c = (3, 5, 10)[request.param]
    return rng.dirichlet(np.full(c, (0.3, 1.0, 0.5)[request.param]), size=400)


@pytest.fixture(params=[0, 1])
def committee(request) -> np.ndarray:
    """(m, n=300, c) member probabilities: members share a mean, so they partly agree."""
    rng = np.random.default_rng(10 + request.param)
    m, c = (3, 5)[request.param], (4, 10)[request.param]
    shared = rng.dirichlet(np.ones(c), size=300)  # (n, c)
    noise = rng.dirichlet(np.ones(c), size=(m, 300))  # (m, n, c)
    return 0.6 * shared[None] + 0.4 * noise


def same_picks(ours: np.ndarray, modal_query) -> None:
    modal_idx = modal_query[0] if isinstance(modal_query, tuple) else modal_query
    assert set(select_top_k(ours, K).tolist()) == set(np.asarray(modal_idx).tolist())


def test_uncertainty_scores_and_picks_match_modal(probs: np.ndarray) -> None:
    learner, X = modal_learner(probs), row_ids(len(probs))
    np.testing.assert_allclose(least_confidence(probs, device="cpu"), classifier_uncertainty(learner, X), atol=1e-6)
    np.testing.assert_allclose(margin(probs, device="cpu"), -classifier_margin(learner, X), atol=1e-6)
    np.testing.assert_allclose(entropy(probs, device="cpu"), classifier_entropy(learner, X), atol=1e-6)
    same_picks(least_confidence(probs, device="cpu"), uncertainty_sampling(learner, X, n_instances=K))
    same_picks(margin(probs, device="cpu"), margin_sampling(learner, X, n_instances=K))
    same_picks(entropy(probs, device="cpu"), entropy_sampling(learner, X, n_instances=K))


def test_committee_scores_and_picks_match_modal(committee: np.ndarray) -> None:
    modal, X = modal_committee(committee), row_ids(committee.shape[1])
    np.testing.assert_allclose(vote_entropy(committee, device="cpu"), modal_vote_entropy(modal, X), atol=1e-6)
    np.testing.assert_allclose(consensus_entropy(committee, device="cpu"), modal_consensus_entropy(modal, X),
                               atol=1e-6)  # fmt: skip
    np.testing.assert_allclose(max_disagreement(committee, device="cpu"), KL_max_disagreement(modal, X), atol=1e-6)
    same_picks(consensus_entropy(committee, device="cpu"), consensus_entropy_sampling(modal, X, n_instances=K))
    same_picks(max_disagreement(committee, device="cpu"), max_disagreement_sampling(modal, X, n_instances=K))
    # Vote entropy takes few distinct values (m votes), so its top-K has ties that modAL breaks
    # arbitrarily: compare the scores of the picks instead of the indices.
    ours = vote_entropy(committee, device="cpu")
    modal_idx = vote_entropy_sampling(modal, X, n_instances=K)[0]
    np.testing.assert_allclose(np.sort(ours[select_top_k(ours, K)]), np.sort(ours[modal_idx]), atol=1e-12)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_information_density_matches_modal_when_the_reference_is_the_whole_pool(metric: str) -> None:
    X = np.random.default_rng(5).normal(size=(500, 12))
    ours = information_density(X, metric=metric, reference_size=500, device="cpu")
    np.testing.assert_allclose(ours, modal_information_density(X, metric), atol=1e-6)
    np.testing.assert_array_equal(select_top_k(ours, K), select_top_k(modal_information_density(X, metric), K))
