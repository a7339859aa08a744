"""From a strategy name to the order in which annotators see the pool.

Two kinds of strategy share one namespace of names:
- scorers (learner.strategies) give every item a score; the first `batch_size` items are then
  chosen to be diverse (top-M by score, then farthest-first), so a batch is never k
  near-duplicates; the rest follow by score;
- batch strategies (core-set, BADGE) choose a whole batch jointly; the rest follow in a seeded
  random order, since the next model ranks them again before anyone gets that far.
"""

from dataclasses import dataclass

import numpy as np
import torch

from learner.arrays import to_numpy
from learner.batch import badge, diverse_top_k, k_center_greedy
from learner.exceptions import LearnerError, UnknownStrategyError
from learner.inputs import PoolInputs, inputs_on, pool_size
from learner.selection import rank
from learner.strategies import STRATEGIES, StrategyOptions
from learner.types import FloatArray, IntArray

BATCH_STRATEGIES = {"coreset": frozenset({"embeddings"}), "badge": frozenset({"probs", "embeddings"})}
STRATEGY_NAMES = tuple(sorted({*STRATEGIES, *BATCH_STRATEGIES}))


@dataclass(frozen=True)
class PoolRanking:
    order: IntArray  # (n,) pool rows, the one to ask first first
    scores: FloatArray  # (n,) per pool row, higher = ask sooner (batch strategies: pick-time value, 0 after)


def strategy_needs(strategy: str, *, diverse: bool = True) -> frozenset[str]:
    """The PoolInputs fields `rank_pool` will read for this strategy."""
    if strategy in BATCH_STRATEGIES:
        return BATCH_STRATEGIES[strategy]
    if strategy not in STRATEGIES:
        raise UnknownStrategyError(strategy, STRATEGY_NAMES)
    needs = STRATEGIES[strategy].needs
    return needs | {"embeddings"} if diverse and strategy != "random" else needs


def rank_pool(
    strategy: str,
    inputs: PoolInputs,
    *,
    batch_size: int,
    rng: np.random.Generator,
    device: torch.device,
    diverse: bool = True,
    options: StrategyOptions = StrategyOptions(),  # noqa: B008 - frozen, safe to share
) -> PoolRanking:
    """Order the n pool items: the first `batch_size` are the batch to label next.

    `inputs` may mix numpy arrays and tensors on any device; each is moved to `device` once,
    here, and the work stays there. The ranking returned is numpy: the learner's edge.
    """
    needs = strategy_needs(strategy, diverse=diverse)
    missing = sorted(field for field in needs if getattr(inputs, field) is None)
    if missing:
        raise LearnerError(f"Strategy {strategy!r} needs {missing} in PoolInputs.")
    inputs = inputs_on(inputs, device)
    n = pool_size(inputs)
    k = min(batch_size, n)
    if strategy in BATCH_STRATEGIES:
        if strategy == "coreset":
            picks, distances = k_center_greedy(
                inputs.embeddings, k, labeled_embeddings=inputs.labeled_embeddings, rng=rng, device=device
            )
        else:
            picks = badge(inputs.probs, inputs.embeddings, k, rng=rng, device=device)
            distances = np.linspace(1.0, 1.0 / max(k, 1), num=len(picks))  # pick order as a score
        scores = np.zeros(n)
        scores[picks] = distances
        rest = np.setdiff1d(np.arange(n), picks, assume_unique=True)
        return PoolRanking(order=np.concatenate([picks, rng.permutation(rest)]), scores=scores)

    scored: torch.Tensor = STRATEGIES[strategy].score(inputs, rng, device, options)  # (n,) a tensor on `device`
    ordered: torch.Tensor = rank(scored)  # (n,) sorted on the device
    if "embeddings" in needs and k > 0:
        batch = diverse_top_k(scored, inputs.embeddings, k, labeled_embeddings=inputs.labeled_embeddings,
                              device=device)  # fmt: skip
        outside = torch.ones(n, dtype=torch.bool, device=ordered.device)
        outside[batch] = False  # (n,) True for every row not in the batch
        ordered = torch.cat([batch, ordered[outside[ordered]]])  # the batch, then the others by score
    # The learner's edge: the caller persists the ranking, so it leaves the device once, here.
    return PoolRanking(order=to_numpy(ordered).astype(np.int64), scores=to_numpy(scored).astype(np.float64))
