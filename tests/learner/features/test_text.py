import numpy as np
import pytest

from learner.exceptions import LearnerError
from learner.features.text import text_features

TINY = [
    "the cat sat on the mat",
    "a cat chased the mouse",
    "dogs bark at the mailman",
    "the dog chased a cat",
    "stocks fell sharply today",
    "markets and stocks rallied",
]
ANIMALS = ["cat", "dog", "mouse", "horse", "bird", "fish", "barks", "purrs", "fur", "paws", "tail", "pet"]
MONEY = ["stock", "market", "price", "bank", "loan", "rate", "fund", "bond", "trade", "profit", "tax", "cash"]


def _topic_texts(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """n short texts, each drawn from one of two disjoint vocabularies; topic ids (n,)."""
    rng = np.random.default_rng(seed)
    topics = rng.integers(0, 2, n)
    vocabularies = (ANIMALS, MONEY)
    texts = [" ".join(rng.choice(vocabularies[t], size=8)) for t in topics]
    return texts, topics


def test_tiny_input_gives_unit_rows() -> None:
    features = text_features(TINY)
    assert features.dtype == np.float32
    assert features.shape[0] == 6 and 1 <= features.shape[1] <= 6
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, rtol=1e-5)


def test_same_seed_same_features() -> None:
    np.testing.assert_array_equal(text_features(TINY, seed=3), text_features(TINY, seed=3))


def test_moderate_input_respects_n_components_and_separates_topics() -> None:
    texts, topics = _topic_texts(300)
    assert text_features(texts).shape == (300, 256)
    features = text_features(texts, n_components=16)
    assert features.shape == (300, 16)
    cosine = features @ features.T  # (300, 300), rows are unit vectors
    same = topics[:, None] == topics[None, :]
    assert cosine[same].mean() > cosine[~same].mean() + 0.3


def test_single_text_and_single_term() -> None:
    assert text_features(["hello"]).shape == (1, 1)
    assert text_features(["hello", "hello hello"]).shape == (2, 1)


def test_texts_sharing_no_word_still_work_with_many_documents() -> None:
    texts = [f"token{i} word{i}" for i in range(40)]  # min_df=2 would prune every term
    features = text_features(texts, n_components=8)
    assert features.shape == (40, 8)


def test_empty_inputs() -> None:
    assert text_features([]).shape[0] == 0
    with pytest.raises(LearnerError, match="No usable words"):
        text_features(["a", "!", "?"])
