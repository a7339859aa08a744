import numpy as np
import pytest
import torch
from PIL import Image

from learner.adaptation.augment import AugmentConfig, augment_image, embedding_noise

STILL = AugmentConfig(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), rotation=0.0, shift=0.0, brightness=0.0,
                      contrast=0.0, noise=0.0)  # fmt: skip


def _image(mode: str) -> Image.Image:
    pixels = np.random.default_rng(0).integers(0, 256, size=(12, 16, 3) if mode != "L" else (12, 16), dtype=np.uint8)
    return Image.fromarray(pixels).convert(mode)


@pytest.mark.parametrize(("mode", "out_mode"), [("L", "L"), ("RGB", "RGB"), ("RGBA", "RGB")])
def test_a_view_keeps_size_and_becomes_l_or_rgb(mode: str, out_mode: str) -> None:
    view = augment_image(_image(mode), np.random.default_rng(1))
    assert (view.size, view.mode) == ((16, 12), out_mode)


def test_the_same_rng_seed_gives_the_same_view_and_another_seed_another() -> None:
    image = _image("L")
    first = np.asarray(augment_image(image, np.random.default_rng([3, 7, 1])))
    np.testing.assert_array_equal(first, np.asarray(augment_image(image, np.random.default_rng([3, 7, 1]))))
    assert not np.array_equal(first, np.asarray(augment_image(image, np.random.default_rng([3, 7, 2]))))


def test_with_every_range_at_zero_the_view_is_the_image() -> None:
    image = _image("RGB")
    np.testing.assert_array_equal(np.asarray(augment_image(image, np.random.default_rng(0), STILL)), np.asarray(image))


def test_a_shifted_view_is_filled_with_the_background_not_black() -> None:
    image = Image.new("L", (10, 10), color=200)
    shifted = augment_image(image, np.random.default_rng(0), AugmentConfig(
        crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), rotation=0.0, shift=0.3, brightness=0.0, contrast=0.0, noise=0.0
    ))  # fmt: skip
    assert np.asarray(shifted).min() >= 199


def test_embedding_noise_drops_a_share_of_features_and_keeps_the_mean() -> None:
    x = torch.ones(200, 50)
    view = embedding_noise(x, torch.Generator().manual_seed(0), dropout=0.2, noise=0.0)
    dropped = float((view == 0).float().mean())
    assert dropped == pytest.approx(0.2, abs=0.02)
    torch.testing.assert_close(view[view != 0], torch.full_like(view[view != 0], 1 / 0.8))  # inverted dropout
    noisy = embedding_noise(x, torch.Generator().manual_seed(0), dropout=0.0, noise=0.5)
    assert float((noisy - x).std()) == pytest.approx(0.5, rel=0.05)
    assert embedding_noise(x, torch.Generator(), dropout=0.0, noise=0.0) is x
