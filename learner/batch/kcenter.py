"""Core-set selection by greedy k-center (Sener & Savarese, "Active Learning for Convolutional
Neural Networks: A Core-Set Approach", ICLR 2018): farthest-first traversal, a 2-approximation
of the minimax facility location problem.

One vector min_sq (n,) holds each pool point's squared distance to its nearest center (labeled
points and picks so far). Each step picks argmax(min_sq) and folds in the distances to that one
new center: O(n d) per pick, one read of the matrix, never an n x n or n x k matrix.
"""

from typing import Any

import numpy as np
import torch
from scipy.spatial.distance import cdist

from learner.arrays import to_numpy
from learner.batch.distances import Pool, check_k, dots, min_sq_distances, prepare, sq_distances_to, unit_rows
from learner.device import resolve_device
from learner.exceptions import LearnerError
from learner.types import FloatArray, IntArray


def k_center_greedy(
    embeddings: Any,
    k: int,
    *,
    labeled_embeddings: Any | None = None,
    metric: str = "euclidean",
    rng: np.random.Generator | int | None = None,
    device: str | torch.device = "auto",
    chunk_rows: int | None = None,
) -> tuple[IntArray, FloatArray]:
    """Pick min(k, n) pool rows of `embeddings` (n, d), numpy or torch, fp16/bf16/fp32/fp64.

    Returns (picks (k,) int64 pool indices in pick order, distances (k,) float64): each pick's
    distance to the nearest labeled or earlier-picked point when it was picked, Euclidean or
    cosine (1 - cos); larger = farther from what is covered. The first pick without a labeled
    set has distance inf. Duplicates of covered points are at distance 0 and go last.
    `labeled_embeddings` (m, d) seed the cover. Without them the first pick is drawn from `rng`
    if given, else it is the point nearest the pool mean: the best single center for the
    k-means cost, and unlike "row 0" or a random draw it depends only on the set of points,
    so reruns and reorderings of the pool pick the same items. `chunk_rows` bounds temporary
    memory (default 2048 rows on CPU, 16384 on CUDA).
    """
    check_k(k)
    dev = resolve_device(device)
    pool = prepare(embeddings, metric, dev, chunk_rows)
    n = len(pool.rows)
    min_sq = initial_min_sq(pool, labeled_embeddings, metric, dev)
    first: int | None = None
    if labeled_embeddings is None or len(labeled_embeddings) == 0:
        first = int(np.random.default_rng(rng).integers(n)) if rng is not None and n else nearest_to_mean(pool)
    picks, sq = farthest_first(pool, min(k, n), min_sq, first)
    return to_numpy(picks), reported_distances(sq, metric)


def initial_min_sq(pool: Pool, labeled: Any | None, metric: str, device: torch.device) -> torch.Tensor:
    """Squared distance of each pool row to its nearest labeled row -> (n,); inf with none."""
    if labeled is None or len(labeled) == 0:
        return torch.full((len(pool.rows),), float("inf"), dtype=pool.acc, device=device)
    others = prepare(labeled, metric, device, pool.chunk_rows)
    if others.rows.shape[1] != pool.rows.shape[1]:
        raise LearnerError(f"labeled_embeddings have {others.rows.shape[1]} features, embeddings {pool.rows.shape[1]}.")
    return min_sq_distances(pool, others)


def nearest_to_mean(pool: Pool) -> int:
    """Index of the row nearest the mean row (ties: lowest index); 0 for an empty pool."""
    if len(pool.rows) == 0:
        return 0
    n, b = len(pool.rows), pool.chunk_rows
    mean = torch.stack([unit_rows(pool, start, start + b).sum(0) for start in range(0, n, b)]).sum(0) / n  # (d,)
    sq = pool.sq_norms - 2 * dots(pool, mean)  # (n,) ||x - mean||^2 less the constant ||mean||^2
    return int(torch.argmin(sq))


def farthest_first(pool: Pool, k: int, min_sq: torch.Tensor, first: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """k farthest-first picks (k,) int64 and their squared distance when picked (k,), on device.

    `first` forces the first pick (else argmax); `min_sq` (n,) is updated in place, picks set to
    -inf so they are never picked twice. The loop never calls .item(): no host sync on CUDA.
    """
    device = pool.rows.device
    picks = torch.empty(k, dtype=torch.int64, device=device)
    sq_at_pick = torch.empty(k, dtype=pool.acc, device=device)
    for step in range(k):
        if step == 0 and first is not None:
            index = torch.tensor(first, dtype=torch.int64, device=device)
        else:
            index = torch.argmax(min_sq)  # first of equal maxima, on CPU and CUDA alike
        picks[step] = index
        sq_at_pick[step : step + 1] = min_sq.index_select(0, index.view(1))
        torch.minimum(min_sq, sq_distances_to(pool, index), out=min_sq)
        min_sq.index_fill_(0, index.view(1), float("-inf"))
    return picks, sq_at_pick


def reported_distances(sq: torch.Tensor, metric: str) -> FloatArray:
    """Squared distances of unit rows -> cosine distance (||x-c||^2 / 2 = 1 - x.c) or Euclidean."""
    values = to_numpy(sq).astype(np.float64)
    return values / 2 if metric == "cosine" else np.sqrt(values)


def k_center_greedy_reference(
    embeddings: Any,
    k: int,
    labeled_embeddings: Any | None = None,
    metric: str = "euclidean",
    rng: np.random.Generator | int | None = None,
) -> tuple[IntArray, FloatArray]:
    """Plain numpy/scipy float64 k-center, the baseline the torch version must agree with.

    Same contract as `k_center_greedy`, written as the textbook min-update loop with
    scipy's cdist (direct differences, no norm expansion); the labeled distances are one
    (n, m) matrix. Slow and memory-hungry by design: tests and benchmarks only.
    """
    check_k(k)
    X = np.asarray(embeddings, dtype=np.float64)
    n = len(X)
    k = min(k, n)
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)

    def dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
        d = cdist(A, B, metric)  # (len(A), len(B))
        return np.where(d < 1e-12, 0.0, d)  # scipy's cosine leaves ~1e-16 for identical rows

    if labeled_embeddings is not None and len(labeled_embeddings):
        min_dist = dist(X, np.asarray(labeled_embeddings, dtype=np.float64)).min(axis=1)  # (n,)
        first = None
    else:
        min_dist = np.full(n, np.inf)
        unit = X / np.linalg.norm(X, axis=1, keepdims=True) if metric == "cosine" else X
        mean = unit.mean(axis=0, keepdims=True)  # (1, d)
        first = int(np.random.default_rng(rng).integers(n)) if rng is not None else int(dist(unit, mean).argmin())
    picks, distances = [], []
    for step in range(k):
        index = first if step == 0 and first is not None else int(np.argmax(min_dist))
        picks.append(index)
        distances.append(min_dist[index])
        min_dist = np.minimum(min_dist, dist(X, X[index : index + 1])[:, 0])
        min_dist[index] = -np.inf
    return np.array(picks, dtype=np.int64), np.array(distances, dtype=np.float64)
