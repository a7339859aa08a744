"""Information density: weight an informativeness score by how typical an item is of the pool.

Uncertainty alone loves outliers (a scanner artefact is very uncertain and teaches nothing), so
Settles & Craven (2008) multiply it by the item's mean similarity to the pool, to the power beta:
    score(x) = uncertainty(x) * (mean_u sim(x, x_u)) ** beta.
The similarity kernel is modAL's, sim = 1 / (1 + distance), cosine or Euclidean.

The mean over the whole pool is an n x n computation (80 GB at n = 100k in modAL). We average
over a reference set instead: the whole pool while n <= reference_size (then the scores equal
modAL's `information_density` exactly), else a uniform sample of reference_size pool rows drawn
from the strategy's rng. The sample mean is unbiased for the pool mean and, since sim lies in
(0, 1], its standard error is below 0.5 / sqrt(reference_size) (0.016 at 1024): far smaller
than the spread of density across a real pool. We chose a sample over k-means centroids because
it needs no fitting, keeps the kernel (and so the parity with modAL) unchanged, and costs one
(n, d) x (d, r) product in row chunks: O(n r d) time, O(chunk_rows x r) memory.
"""

from typing import Any

import numpy as np
import torch

from learner.arrays import as_tensor, like_input
from learner.batch.distances import prepare, snap, unit_rows
from learner.device import resolve_device
from learner.exceptions import LearnerError

REFERENCE_SIZE = 1024


def information_density(
    embeddings: Any,
    *,
    metric: str = "cosine",
    reference_size: int = REFERENCE_SIZE,
    rng: np.random.Generator | int | None = 0,
    device: str | torch.device = "auto",
    chunk_rows: int | None = None,
) -> Any:
    """Mean similarity 1 / (1 + dist) of each row of `embeddings` (n, d) to the reference set -> (n,).

    Cosine distance is 1 - cos (a zero row has cos 0 to everything); Euclidean is ||x - u||.
    Values lie in (0, 1]; higher = more typical of the pool.
    """
    if reference_size < 1:
        raise LearnerError(f"reference_size must be >= 1, got {reference_size}.")
    dev = resolve_device(device)
    pool = prepare(embeddings, metric, dev, chunk_rows)
    n = len(pool.rows)
    if n <= reference_size:
        reference = torch.arange(n, device=dev)
    else:
        drawn = np.sort(np.random.default_rng(rng).choice(n, size=reference_size, replace=False))
        reference = torch.as_tensor(drawn, device=dev)
    ref = pool.rows.index_select(0, reference).to(pool.acc)  # (r, d)
    if pool.inv_norms is not None:
        ref = ref * pool.inv_norms.index_select(0, reference)[:, None]
    ref_sq = pool.sq_norms.index_select(0, reference)  # (r,)
    out = torch.empty(n, dtype=pool.acc, device=dev)
    for start in range(0, n, pool.chunk_rows):
        block = unit_rows(pool, start, start + pool.chunk_rows)  # (b, d)
        if metric == "cosine":
            distance = torch.addmm(torch.ones((), dtype=pool.acc, device=dev), block, ref.T, alpha=-1)  # (b, r)
        else:
            block_sq = pool.sq_norms[start : start + pool.chunk_rows, None]  # (b, 1)
            sq = torch.addmm(ref_sq[None, :], block, ref.T, alpha=-2).add_(block_sq)  # (b, d) @ (d, r) -> (b, r)
            distance = snap(sq, block_sq + ref_sq[None, :]).sqrt_()
        out[start : start + len(block)] = distance.clamp_(min=0).add_(1).reciprocal_().mean(dim=1)
    return like_input(embeddings, out)


def density_weighted(scores: Any, density: Any, *, beta: float = 1.0) -> Any:
    """scores (n,) x density (n,) ** beta: beta = 0 ignores density, larger beta favours typical items.

    A tensor (on the device of whichever input is one) when either input is a tensor, else float64 numpy.
    """
    if beta < 0:
        raise LearnerError(f"beta must be >= 0, got {beta}.")
    if isinstance(scores, torch.Tensor) or isinstance(density, torch.Tensor):
        # Mixed inputs (numpy entropy of host probs, density of device embeddings) meet on the
        # tensor's device; the other side is converted once, never the tensor to numpy.
        device = (scores if isinstance(scores, torch.Tensor) else density).device
        s, d = as_tensor(scores, device), as_tensor(density, device)
        dtype = torch.promote_types(s.dtype, d.dtype)
        return s.to(dtype) * d.to(dtype).pow(beta)
    return np.asarray(scores, dtype=np.float64) * np.asarray(density, dtype=np.float64) ** beta
