"""Random sampling: the passive-learning baseline every strategy must beat, and the cold start."""

import numpy as np

from learner.types import FloatArray


def random_scores(n: int, rng: np.random.Generator) -> FloatArray:
    """Uniform [0, 1) scores (n,) float64 from `rng`: ranking them is a seeded random order."""
    return rng.random(n)
