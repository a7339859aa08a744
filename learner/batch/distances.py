"""Chunked distance kernels shared by the batch selectors: the pool matrix is read, never copied.

A pool of 1M x 512 in fp16 is 1 GB on the device; a float32 copy would be 2 GB and an n x n
distance matrix 4 TB. So the matrix stays in its own dtype, is read in row chunks of
`chunk_rows`, and only (n,) vectors and (chunk_rows, chunk_rows) blocks are ever allocated.
Squared Euclidean distances come from ||x||^2 - 2 x.c + ||c||^2 with precomputed row norms,
accumulated in float32 (float64 for float64 input). Cosine uses the unit rows x / ||x||, for
which 1 - x.c = ||x - c||^2 / 2, so both metrics share one kernel; the inverse norms are
computed once and applied to each float32 product, rather than storing a normalised copy: that
would cost another 1 GB at fp16 and round the unit rows to fp16, enough to reorder near ties.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from learner.arrays import as_tensor, to_numpy
from learner.exceptions import LearnerError
from learner.inputs import EmbeddingsOnDemand

METRICS = ("euclidean", "cosine")
CPU_CHUNK_ROWS = 2048  # a 2048 x 512 fp32 chunk stays in cache: fastest upcast measured on CPU
CUDA_CHUNK_ROWS = 16384  # fewer kernel launches; the largest block, 16384^2 fp32, is 1 GB


@dataclass(frozen=True)
class Pool:
    """Rows on their device in their own dtype, plus what every distance needs precomputed."""

    rows: torch.Tensor  # (n, d) input dtype, the caller's tensor when already on the device
    sq_norms: torch.Tensor  # (n,) accumulation dtype; of the unit rows for cosine (1, or 0 for a zero row)
    inv_norms: torch.Tensor | None  # (n,) 1 / ||x|| for cosine (0 for a zero row), None for Euclidean
    acc: torch.dtype  # float32, or float64 for float64 input
    chunk_rows: int


def check_k(k: int) -> None:
    if k < 0:
        raise LearnerError(f"k must be >= 0, got {k}.")


def prepare(embeddings: Any, metric: str, device: torch.device, chunk_rows: int | None = None) -> Pool:
    """Move (n, d) `embeddings` to `device` once (no copy if already there) and precompute norms."""
    if metric not in METRICS:
        raise LearnerError(f"Unknown metric {metric!r}; known: {', '.join(METRICS)}.")
    if chunk_rows is not None and chunk_rows < 1:
        raise LearnerError(f"chunk_rows must be >= 1, got {chunk_rows}.")
    rows = as_tensor(embeddings, device)
    if rows.ndim != 2:
        raise LearnerError(f"embeddings must be 2-D (n_samples, n_features), got shape {tuple(rows.shape)}.")
    if not rows.is_floating_point():
        rows = rows.float()
    acc = torch.float64 if rows.dtype == torch.float64 else torch.float32
    chunk = chunk_rows or (CUDA_CHUNK_ROWS if device.type == "cuda" else CPU_CHUNK_ROWS)
    sq_norms = torch.cat([block.to(acc).square().sum(1) for block in rows.split(chunk)])  # (n,)
    if not bool(torch.isfinite(sq_norms).all()):
        raise LearnerError("embeddings contain NaN or infinite values.")
    inv_norms = None
    if metric == "cosine":
        inv_norms = torch.where(sq_norms > 0, sq_norms.rsqrt(), 0.0)  # (n,)
        sq_norms = sq_norms * inv_norms.square()
    return Pool(rows, sq_norms, inv_norms, acc, chunk)


def take_rows(embeddings: Any, index: Any) -> Any:
    """Rows `index` (m,) of a numpy array or torch tensor, gathered where they live (only m rows
    and m indices move), or computed now for EmbeddingsOnDemand. `index` is numpy or a tensor."""
    if isinstance(embeddings, torch.Tensor):
        return embeddings[torch.as_tensor(index, device=embeddings.device)]
    host_index = to_numpy(index) if isinstance(index, torch.Tensor) else index  # m indices to a host pool
    if isinstance(embeddings, EmbeddingsOnDemand):
        return embeddings.rows(host_index)
    return np.asarray(embeddings)[host_index]


def dots(pool: Pool, vector: torch.Tensor) -> torch.Tensor:
    """x_i . vector for every row (unit x_i for cosine) -> (n,) in pool.acc; one read of the matrix."""
    vector = vector.to(pool.acc)
    if pool.rows.dtype == pool.acc:
        out = pool.rows @ vector  # (n, d) @ (d,) -> (n,)
    else:
        out = torch.empty(len(pool.rows), dtype=pool.acc, device=pool.rows.device)
        # fp16/bf16: upcast one chunk at a time so the products accumulate AND land in float32.
        for block, dst in zip(pool.rows.split(pool.chunk_rows), out.split(pool.chunk_rows), strict=True):
            torch.mv(block.to(pool.acc), vector, out=dst)  # (b, d) @ (d,) -> (b,)
    return out if pool.inv_norms is None else out.mul_(pool.inv_norms)


_NATIVE_LOW_PRECISION: dict[tuple[str, torch.dtype], bool] = {}  # (device type, dtype) -> out_dtype GEMM works


def row_dots(pool: Pool, index: torch.Tensor) -> torch.Tensor:
    """x_i . x_index for every row i (unit rows for cosine) -> (n,) in pool.acc; one read of the matrix.

    The center is a row of the pool, so it is exact in the pool's own dtype and needs no
    upcast: an fp16/bf16 pool on CUDA is multiplied as it is, accumulating and writing float32
    in one GEMV (torch.mm's out_dtype). Upcasting chunk copies first, as `dots` must for an
    arbitrary vector, reads 2 bytes, writes 4 and reads 4 again per element: 5x the traffic of
    one read, which made fp16 k-center 7x its floor on an H100. The cosine scaling by both
    inverse norms comes after the product, on (n,) floats. CPUs have no such kernel; there the
    chunked upcast (which stays in cache) is used.
    """
    at = index.view(1)
    center = pool.rows.index_select(0, at)  # (1, d) in the pool's dtype, exact
    if pool.rows.dtype == pool.acc:
        out = (pool.rows @ center[0]).to(pool.acc)  # (n, d) @ (d,) -> (n,)
    elif _native_low_precision(pool.rows.device, pool.rows.dtype):
        out = torch.mm(pool.rows, center.T, out_dtype=pool.acc)[:, 0]  # (n, d) @ (d, 1) -> (n,) float32
    else:
        return dots(pool, center[0].to(pool.acc) * (1 if pool.inv_norms is None else pool.inv_norms[at]))
    if pool.inv_norms is not None:
        out.mul_(pool.inv_norms).mul_(pool.inv_norms.index_select(0, at))
    return out


def _native_low_precision(device: torch.device, dtype: torch.dtype) -> bool:
    """Whether torch.mm(fp16/bf16, ..., out_dtype=float32) runs here (CUDA builds since torch 2.8), tried once."""
    key = (device.type, dtype)
    if key not in _NATIVE_LOW_PRECISION:
        works = device.type == "cuda"
        if works:
            try:
                probe = torch.ones(4, 8, dtype=dtype, device=device)
                works = bool(torch.mm(probe, probe.T, out_dtype=torch.float32)[0, 0] == 8)
            except (RuntimeError, TypeError, NotImplementedError):
                works = False
        _NATIVE_LOW_PRECISION[key] = works
    return _NATIVE_LOW_PRECISION[key]


def unit_rows(pool: Pool, start: int, stop: int) -> torch.Tensor:
    """Rows start:stop in pool.acc, divided by their norms for cosine -> (stop - start, d)."""
    block = pool.rows[start:stop].to(pool.acc)
    return block if pool.inv_norms is None else block * pool.inv_norms[start:stop, None]


def snap(sq: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Clamp an expanded squared distance at 0 and set it to exactly 0 below its rounding noise.

    ||x||^2 + ||c||^2 - 2 x.c leaves ~1e-7 * scale where x == c (scale = ||x||^2 + ||c||^2);
    snapping makes duplicates tie at 0, so they go last, lowest index first, on every device.
    """
    tolerance = 64 * torch.finfo(sq.dtype).eps
    return sq.clamp_(min=0).masked_fill_(sq <= tolerance * scale, 0.0)


def sq_distances_to(pool: Pool, index: torch.Tensor) -> torch.Tensor:
    """Squared distance of every row to row `index` (0-d tensor, no host sync) -> (n,)."""
    center_sq = pool.sq_norms.index_select(0, index.view(1))  # (1,)
    sq = row_dots(pool, index).mul_(-2).add_(pool.sq_norms).add_(center_sq)
    return snap(sq, pool.sq_norms + center_sq)


def min_sq_distances(pool: Pool, others: Pool) -> torch.Tensor:
    """Squared distance of every pool row to its nearest row of `others` -> (n,).

    Blocked over both sides, so memory is one (chunk_rows, chunk_rows) block, never n x m.
    """
    out = torch.full((len(pool.rows),), float("inf"), dtype=pool.acc, device=pool.rows.device)
    b = pool.chunk_rows
    other_norms = others.sq_norms.to(pool.acc)
    for start in range(0, len(pool.rows), b):
        block = unit_rows(pool, start, start + b)  # (b, d)
        block_norms = pool.sq_norms[start : start + b]  # (b,)
        for o_start in range(0, len(others.rows), b):
            other = unit_rows(others, o_start, o_start + b).to(pool.acc)  # (m_b, d)
            norms = other_norms[o_start : o_start + b]  # (m_b,)
            # ||x||^2 is constant along a row, so take the min of ||l||^2 - 2 x.l first: one fused
            # gemm and one read of the block, instead of several passes over (b, m_b).
            partial = torch.addmm(norms[None, :], block, other.T, alpha=-2)  # (b, d) @ (d, m_b) -> (b, m_b)
            nearest, which = partial.min(dim=1)  # (b,), (b,)
            scale = block_norms + norms[which]  # (b,)
            sq = snap(nearest.add_(block_norms), scale)
            torch.minimum(out[start : start + b], sq, out=out[start : start + b])
    return out
