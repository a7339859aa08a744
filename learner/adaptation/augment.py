"""Views for the contrastive objective: augmented images (SimCLR-style) and noisy embeddings.

Images: a random rotation with a small shift, a random resized crop, brightness and contrast
jitter, and gaussian pixel noise, after Chen et al., "A Simple Framework for Contrastive
Learning of Visual Representations" (SimCLR, 2020), with milder ranges: the encoder is frozen,
so a view only has to move the embedding the way a nuisance would, not destroy the content.
No horizontal flip by default: it changes what a digit or a letter is. Pillow and numpy only
(torchvision would pull a multi-GB CUDA build). Each call takes its own rng, so a view of an
item can be seeded by (seed, item id, view) and recomputed identically anywhere.

Texts have no pixel augmentations: their views are made in embedding space, by feature dropout
and gaussian noise on the frozen sentence embedding (`embedding_noise`). This resembles SimCSE
(Gao et al. 2021), but SimCSE's dropout acts inside the encoder, ours only on its output.
"""

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageEnhance

AUGMENTED_VIEWS = 2  # per image, each one more encoder pass over the pool; 4 gained at most 0.02 accuracy


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of each random image transformation; a zero range switches it off."""

    crop_scale: tuple[float, float] = (0.6, 1.0)  # area share of the random crop, resized back to full size
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)  # crop aspect ratio range, relative to the image's own
    rotation: float = 15.0  # degrees, uniform in [-rotation, rotation]
    shift: float = 0.1  # translation as a share of width and height, each uniform in [-shift, shift]
    brightness: float = 0.3  # factor uniform in [1 - b, 1 + b]
    contrast: float = 0.3  # factor uniform in [1 - c, 1 + c]
    noise: float = 0.03  # std of gaussian pixel noise, as a share of the 0..255 range
    flip: bool = False  # horizontal flip with probability 1/2


def augment_image(image: Image.Image, rng: np.random.Generator, config: AugmentConfig = AugmentConfig()) -> Image.Image:
    """One random view of `image`, same size and mode (L or RGB; other modes become RGB)."""
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    width, height = image.size
    fill = _border_colour(image)  # what the rotation and shift uncover looks like background
    angle = rng.uniform(-config.rotation, config.rotation)
    dx, dy = rng.uniform(-config.shift, config.shift, size=2) * (width, height)
    view = image.rotate(angle, resample=Image.Resampling.BILINEAR, translate=(dx, dy), fillcolor=fill)
    view = view.resize((width, height), Image.Resampling.BILINEAR, box=_crop_box(width, height, rng, config))
    if config.flip and rng.random() < 0.5:
        view = view.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    view = ImageEnhance.Brightness(view).enhance(rng.uniform(1 - config.brightness, 1 + config.brightness))
    view = ImageEnhance.Contrast(view).enhance(rng.uniform(1 - config.contrast, 1 + config.contrast))
    if config.noise > 0:
        pixels = np.asarray(view, dtype=np.float64)  # (h, w) or (h, w, 3) in 0..255
        noisy = pixels + rng.normal(0.0, 255.0 * config.noise, size=pixels.shape)
        view = Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8))  # L or RGB, from the shape
    return view


def _crop_box(
    width: int, height: int, rng: np.random.Generator, config: AugmentConfig
) -> tuple[float, float, float, float]:
    """(left, upper, right, lower) of a crop with a random area share and aspect ratio, inside the image."""
    area = width * height * rng.uniform(*config.crop_scale)
    ratio = np.exp(rng.uniform(np.log(config.crop_ratio[0]), np.log(config.crop_ratio[1]))) * width / height
    w = min(width, float(np.sqrt(area * ratio)))  # w / h = ratio, w * h = area, clipped to the image
    h = min(height, float(np.sqrt(area / ratio)))
    left, upper = rng.uniform(0, width - w), rng.uniform(0, height - h)
    return (left, upper, left + w, upper + h)


def _border_colour(image: Image.Image) -> int | tuple[int, ...]:
    pixels = np.asarray(image)  # (h, w) or (h, w, 3)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])  # (2w + 2h,) or (2w + 2h, 3)
    mean = np.rint(border.mean(axis=0)).astype(int)
    return int(mean) if mean.ndim == 0 else tuple(int(v) for v in mean)


def embedding_noise(x: torch.Tensor, generator: torch.Generator, *, dropout: float, noise: float) -> torch.Tensor:
    """A view of embeddings x (n, d): inverted feature dropout, then gaussian noise of std `noise`."""
    if dropout > 0:
        keep = torch.rand(x.shape, generator=generator, device=x.device) >= dropout  # (n, d)
        x = x * keep / (1.0 - dropout)
    if noise > 0:
        x = x + noise * torch.randn(x.shape, generator=generator, device=x.device)
    return x
