import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from learner.exceptions import LearnerError
from learner.features.pixels import load_image, pixel_features


def test_shape_dtype_and_range_across_modes_and_sizes() -> None:
    rng = np.random.default_rng(0)
    images = [
        Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8), mode="RGB"),
        Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8), mode="L"),
        Image.new("RGBA", (64, 16), (255, 0, 0, 128)),
        Image.new("1", (5, 5), 1),
    ]
    features = pixel_features(images)
    assert features.shape == (4, 28 * 28)
    assert features.dtype == np.float32
    assert features.min() >= 0.0 and features.max() <= 1.0
    assert features[0].std() > 0.05  # noise survives the resize


def test_black_and_white_map_to_zero_and_one() -> None:
    features = pixel_features([Image.new("L", (10, 10), 0), Image.new("RGB", (3, 7), (255, 255, 255))], size=4)
    assert features.shape == (2, 16)
    np.testing.assert_array_equal(features[0], 0.0)
    np.testing.assert_allclose(features[1], 1.0)


def test_layout_is_row_major_after_resize() -> None:
    left_dark = np.zeros((28, 28), dtype=np.uint8)
    left_dark[:, 14:] = 255  # right half white
    grid = pixel_features([Image.fromarray(left_dark)]).reshape(28, 28)
    assert grid[:, :10].max() == 0.0 and grid[:, 18:].min() == 1.0


def test_accepts_a_generator_and_an_empty_input() -> None:
    assert pixel_features(Image.new("L", (9, 9)) for _ in range(3)).shape == (3, 784)
    empty = pixel_features([], size=8)
    assert empty.shape == (0, 64) and empty.dtype == np.float32


def test_load_image_reads_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.png"
    Image.new("RGB", (12, 6), (10, 20, 30)).save(path)
    image = load_image(path)
    assert image.size == (12, 6)
    assert image.getpixel((0, 0)) == (10, 20, 30)  # decoded, usable after the file is closed


def test_load_image_names_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"this is not an image at all")
    with pytest.raises(LearnerError, match=r"broken\.png"):
        load_image(path)


def test_load_image_names_a_truncated_file(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buffer, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[:400])  # valid header, missing pixel data
    with pytest.raises(LearnerError, match=r"cut\.png"):
        load_image(str(path))


def test_load_image_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LearnerError, match=r"nowhere\.jpg"):
        load_image(tmp_path / "nowhere.jpg")
