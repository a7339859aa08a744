import numpy as np
import pytest
import torch

from learner.batch import diverse_top_k
from learner.exceptions import LearnerError
from learner.selection import select_top_k


def test_fifty_duplicates_at_the_top_yield_at_most_one() -> None:
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(200, 8))
    embeddings[:50] = embeddings[0]  # the same item uploaded 50 times ...
    scores = rng.uniform(0.0, 0.5, size=200)
    scores[:50] = 0.9 + rng.uniform(0.0, 0.01, size=50)  # ... and it is the most uncertain
    plain = select_top_k(scores, 10)
    assert np.all(plain < 50)  # plain top-k: ten copies of one picture
    for metric in ("cosine", "euclidean"):
        picks = diverse_top_k(scores, embeddings, 10, metric=metric)
        assert picks[0] == plain[0]  # the best-scoring item still goes first
        assert np.sum(picks < 50) == 1
        assert len(set(picks.tolist())) == 10


def test_one_candidate_per_slot_reorders_plain_top_k() -> None:
    rng = np.random.default_rng(1)
    scores, embeddings = rng.uniform(size=100), rng.normal(size=(100, 4))
    picks = diverse_top_k(scores, embeddings, 7, candidates=1)
    assert set(picks.tolist()) == set(select_top_k(scores, 7).tolist())
    assert picks[0] == np.argmax(scores)


def test_picks_come_from_the_shortlist_and_avoid_labeled_copies() -> None:
    rng = np.random.default_rng(2)
    scores, embeddings = rng.uniform(size=300), rng.normal(size=(300, 6)).astype(np.float32)
    shortlist = set(select_top_k(scores, 30).tolist())
    second = int(select_top_k(scores, 2)[1])
    picks = diverse_top_k(
        scores, torch.from_numpy(embeddings), 10, candidates=3, labeled_embeddings=embeddings[[second]]
    )
    assert set(picks.tolist()) <= shortlist
    assert second not in picks.tolist()  # already labeled: distance 0, so last of the 30


def test_k_beyond_n_and_errors() -> None:
    scores, embeddings = np.array([0.2, 0.9, 0.5]), np.eye(3)
    assert sorted(diverse_top_k(scores, embeddings, 10).tolist()) == [0, 1, 2]
    assert diverse_top_k(scores, embeddings, 0).shape == (0,)
    with pytest.raises(LearnerError, match="candidates must be >= 1"):
        diverse_top_k(scores, embeddings, 2, candidates=0)
    with pytest.raises(LearnerError, match="3 rows but embeddings have 2"):
        diverse_top_k(scores, embeddings[:2], 2)


@pytest.mark.parametrize("embeddings_as", ["numpy", "tensor"])
def test_tensor_scores_pick_on_the_device_what_numpy_scores_pick(
    embeddings_as: str, tensors_stay_on_device: None
) -> None:
    rng = np.random.default_rng(4)
    scores, embeddings = rng.uniform(size=300), rng.normal(size=(300, 5)).astype(np.float32)
    scores[100:110] = scores[5]  # ties on the shortlist's edge
    emb = torch.as_tensor(embeddings) if embeddings_as == "tensor" else embeddings
    on_device = diverse_top_k(torch.as_tensor(scores), emb, 8, device="cpu")
    assert isinstance(on_device, torch.Tensor) and on_device.dtype == torch.int64
    assert on_device.tolist() == diverse_top_k(scores, embeddings, 8, device="cpu").tolist()
