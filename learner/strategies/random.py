"""Random sampling: the passive-learning baseline every strategy must beat, and the cold start."""

from typing import Any

import numpy as np
import torch


def random_scores(n: int, rng: np.random.Generator, *, device: torch.device | None = None) -> Any:
    """Uniform [0, 1) scores (n,) float64 from `rng`: ranking them is a seeded random order.

    numpy without a `device`; with one, the same values as a float64 tensor there, so a device
    round gets what every other scorer gives it (the draw itself stays on the host's `rng`, so a
    seed picks the same order on every device).
    """
    scores = rng.random(n)
    return scores if device is None else torch.as_tensor(scores, device=device)
