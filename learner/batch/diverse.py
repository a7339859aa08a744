"""Diverse top-k for any scorer: take the top-M by score, then spread the batch out.

A plain top-k of an uncertainty score often returns k near-copies of one confusing item (the
same photo uploaded twice, a template e-mail): k labels that teach what one would. Following the
"top-M then diversify" family (Zhdanov 2019, "Diverse mini-batch Active Learning", which
prefilters the beta*k most informative points before clustering; also the ranked-batch and
core-set-on-a-shortlist variants), we shortlist the M = min(n, candidates * k) best-scoring
items and run farthest-first (k-center greedy) inside them. The first pick is the best-scoring
item, so the batch always contains what plain top-k would ask first; each next pick is the
shortlisted item farthest from the picks so far (and from the labeled set, if given).
Informativeness decides who gets on the shortlist; diversity decides the order within it.
"""

from typing import Any

import numpy as np
import torch

from learner.arrays import to_numpy
from learner.batch.distances import check_k, prepare, take_rows
from learner.batch.kcenter import farthest_first, initial_min_sq
from learner.device import resolve_device
from learner.exceptions import LearnerError
from learner.selection import select_top_k


def diverse_top_k(
    scores: Any,
    embeddings: Any,
    k: int,
    *,
    candidates: int = 10,
    metric: str = "cosine",
    labeled_embeddings: Any | None = None,
    device: str | torch.device = "auto",
    chunk_rows: int | None = None,
) -> Any:
    """min(k, n) pool indices (k,) int64: the top scorer first, then farthest-first.

    numpy scores give numpy indices; tensor scores give an int64 tensor on their device, and
    the shortlist is chosen there too (learner.selection.select_top_k).
    scores: (n,), higher = ask first (any learner.strategies scorer); embeddings: (n, d) numpy
    or torch. Only the top M = min(n, candidates * k) rows by score are read and moved to the
    device. If the shortlist holds fewer than k distinct points, duplicates fill the end of the
    batch; raise `candidates` to look deeper. `metric`, `labeled_embeddings` (m, d), `device` and
    `chunk_rows` mean what they mean in `k_center_greedy`.
    """
    check_k(k)
    if candidates < 1:
        raise LearnerError(f"candidates must be >= 1, got {candidates}.")
    n = len(scores)
    if len(embeddings) != n:
        raise LearnerError(f"scores have {n} rows but embeddings have {len(embeddings)}.")
    shortlist = select_top_k(scores, min(n, candidates * k))  # (M,) best score first, where scores live
    on_device = isinstance(shortlist, torch.Tensor)
    if k == 0 or len(shortlist) == 0:
        return shortlist[:0] if on_device else np.zeros(0, dtype=np.int64)
    dev = resolve_device(device)
    pool = prepare(take_rows(embeddings, shortlist), metric, dev, chunk_rows)
    min_sq = initial_min_sq(pool, labeled_embeddings, metric, dev)
    picks, _ = farthest_first(pool, min(k, len(shortlist)), min_sq, first=0)  # row 0 = top scorer
    return shortlist[picks.to(shortlist.device)] if on_device else shortlist[to_numpy(picks)]
