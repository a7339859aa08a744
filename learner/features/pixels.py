"""Pixel features: each image as its grayscale pixels on a fixed grid, scaled to [0, 1].

The simplest image representation that a linear softmax head can learn from (MNIST-style);
pretrained embeddings can replace it without changing the classifier.
"""

from collections.abc import Iterable
from os import PathLike

import numpy as np
from PIL import Image

from learner.exceptions import LearnerError


def load_image(path: str | PathLike[str]) -> Image.Image:
    """Open and fully decode the image at `path`, so a corrupt file fails here, by name.

    Pillow decodes lazily; loading now surfaces truncated or non-image files as LearnerError
    instead of a later, anonymous OSError, and releases the file handle.
    """
    try:
        with Image.open(path) as image:
            image.load()
            return image
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise LearnerError(f"Cannot read image {str(path)!r}: {exc}") from exc


def pixel_features(images: Iterable[Image.Image], size: int = 28) -> np.ndarray:
    """Grayscale ("L") pixels resized to size x size (bilinear) -> float32 (n, size * size) in [0, 1]."""
    if size < 1:
        raise LearnerError(f"size must be >= 1, got {size}.")
    rows = [
        np.asarray(image.convert("L").resize((size, size), Image.Resampling.BILINEAR), dtype=np.float32).ravel()
        for image in images
    ]  # each (size * size,) in 0..255
    if not rows:
        return np.zeros((0, size * size), dtype=np.float32)
    return np.stack(rows) / np.float32(255.0)  # (n, size * size)
