"""BADGE: Batch Active learning by Diverse Gradient Embeddings (Ash et al., ICLR 2020).

Each pool point's hypothetical last-layer gradient is g_i = (p_i - e_yhat_i) (x) h_i, with
yhat_i = argmax p_i (the model's own guess as label), p_i the class probabilities and h_i the
penultimate embedding. k-means++ seeding (D^2 sampling) over the g_i picks points that are both
uncertain (large ||g_i||) and different from each other.

g is never materialised (1M x 10 x 512 floats would be 20 GB): with a = p - e_yhat,
    ||g_i - g_j||^2 = ||a_i||^2 ||h_i||^2 + ||a_j||^2 ||h_j||^2 - 2 (a_i . a_j)(h_i . h_j),
so each seeding step costs O(n (c + d)): one read of the (n, c) and of the (n, d) matrix.
"""

from typing import Any

import numpy as np
import torch

from learner.arrays import as_tensor
from learner.batch.distances import Pool, check_k, prepare, row_dots, snap
from learner.device import resolve_device
from learner.exceptions import LearnerError
from learner.types import IntArray


def badge(
    probs: Any,
    embeddings: Any,
    k: int,
    *,
    rng: np.random.Generator | int,
    device: str | torch.device = "auto",
    chunk_rows: int | None = None,
) -> IntArray:
    """Pick min(k, n) distinct pool indices (k,) int64, in pick order, by BADGE.

    probs: (n, c) class probabilities; embeddings: (n, d) penultimate-layer features (numpy or
    torch, any float dtype). The first pick is the largest gradient norm, as in the paper's code;
    each later one is drawn from `rng` with probability proportional to its squared gradient
    distance to the nearest pick. If every remaining point sits at distance 0 (duplicates, or a
    model certain everywhere) the rest are drawn uniformly from `rng`. `chunk_rows` bounds the
    fp16/bf16 upcast buffer, as in `k_center_greedy`.
    """
    check_k(k)
    dev = resolve_device(device)
    pool = prepare(embeddings, "euclidean", dev, chunk_rows)
    a, g_sq = gradient_factors(probs, pool)
    n = len(g_sq)
    generator = np.random.default_rng(rng)
    min_sq = torch.full((n,), float("inf"), dtype=pool.acc, device=dev)
    picked = torch.zeros(n, dtype=torch.bool, device=dev)
    picks: list[int] = []
    for step in range(min(k, n)):
        index = int(torch.argmax(g_sq)) if step == 0 else _d2_sample(min_sq, picked, generator)
        picks.append(index)
        picked[index] = True
        torch.minimum(min_sq, gradient_sq_distances(pool, a, g_sq, index), out=min_sq)
        min_sq.masked_fill_(picked, 0.0)  # a pick's weight is exactly 0: never drawn twice
    return np.array(picks, dtype=np.int64)


def gradient_factors(probs: Any, pool: Pool) -> tuple[torch.Tensor, torch.Tensor]:
    """a = p - e_yhat (n, c) and ||g_i||^2 = ||a_i||^2 ||h_i||^2 (n,), in pool.acc on its device."""
    a = as_tensor(probs, pool.rows.device).to(pool.acc)
    if a.ndim != 2 or len(a) != len(pool.rows):
        raise LearnerError(
            f"probs must be (n_samples, n_classes) with n_samples = {len(pool.rows)}, got shape {tuple(a.shape)}."
        )
    a = a.clone()  # never write into the caller's array
    a[torch.arange(len(a), device=a.device), a.argmax(dim=1)] -= 1.0  # (n, c): p - one-hot(yhat)
    return a, a.square().sum(dim=1) * pool.sq_norms


def gradient_sq_distances(pool: Pool, a: torch.Tensor, g_sq: torch.Tensor, index: int) -> torch.Tensor:
    """||g_i - g_index||^2 for every i -> (n,), from (n, c) and (n, d) products, no (n, c*d)."""
    a_dots = a @ a[index]  # (n, c) @ (c,) -> (n,)
    h_dots = row_dots(pool, torch.tensor(index, device=pool.rows.device))  # (n, d) @ (d,) -> (n,)
    scale = g_sq + g_sq[index]
    return snap(scale - 2 * a_dots * h_dots, scale)


def _d2_sample(weights: torch.Tensor, picked: torch.Tensor, rng: np.random.Generator) -> int:
    """An index drawn with probability weights_i / sum(weights) (inverse CDF, float64)."""
    cumulative = torch.cumsum(weights, dim=0, dtype=torch.float64)  # (n,)
    total = float(cumulative[-1])
    if not total > 0:
        remaining = torch.nonzero(~picked).flatten()
        return int(remaining[int(rng.integers(len(remaining)))])
    target = torch.tensor([rng.random() * total], dtype=torch.float64, device=weights.device)
    index = int(torch.searchsorted(cumulative, target, right=True))  # first cumulative > target
    # rng.random() * total can round up to total; the first index reaching total has weight > 0.
    return index if index < len(weights) else int(torch.searchsorted(cumulative, cumulative[-1:]))
