"""From a strategy name to the order in which annotators see the pool.

One registry, `REGISTRY`, maps every name a project may store to a `StrategyEntry`: which
PoolInputs fields it reads, whether batch diversity applies to it, whether it trains a
committee, and how it ranks. Three ways of ranking share it:
- "scores": a scorer of learner.strategies gives every item a score; the first `batch_size`
  items are then chosen to be diverse (top-M by score, then farthest-first), so a batch is
  never k near-duplicates; the rest follow by score;
- "batch": core-set and BADGE choose a whole batch jointly; the rest follow in a seeded random
  order, since the next model ranks them again before anyone gets that far;
- "bandit": `auto` (learner.auto) chooses among other entries round by round.
Callers (the training round, labeling/) ask an entry what it needs instead of testing names;
a new strategy is one entry.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from learner.arrays import to_numpy
from learner.auto import AUTO_ARMS, AutoHistory, auto_rank
from learner.batch import badge, diverse_top_k, k_center_greedy
from learner.exceptions import LearnerError, UnknownStrategyError
from learner.inputs import PoolInputs, inputs_on, pool_size
from learner.selection import rank
from learner.strategies import STRATEGIES, Strategy, StrategyOptions
from learner.types import FloatArray, IntArray

BASELINE = "random"  # the passive baseline every replay and benchmark compares against


@dataclass(frozen=True)
class PoolRanking:
    order: IntArray  # (n,) pool rows, the one to ask first first
    scores: FloatArray  # (n,) per pool row, higher = ask sooner (batch strategies: pick-time value, 0 after)
    state: dict[str, Any] | None = None  # what a stateful strategy (auto) carries to the next round, JSON-safe


@dataclass(frozen=True)
class RankRequest:
    """Everything a ranker reads besides the pool: the batch, the draws, the device, the knobs,
    and (for `auto`) what happened in earlier rounds."""

    batch_size: int
    rng: np.random.Generator
    device: torch.device
    diverse: bool = True
    options: StrategyOptions = field(default_factory=StrategyOptions)
    history: AutoHistory | None = None


RankFn = Callable[[PoolInputs, RankRequest], PoolRanking]


@dataclass(frozen=True)
class StrategyEntry:
    """One strategy a project may name: what it reads, whether batch diversity applies, how it ranks."""

    name: str
    needs: frozenset[str]  # PoolInputs fields it reads (committee_probs: a committee is trained)
    kind: str  # "scores" (scorer + optional diversity), "batch" (joint batch), "bandit" (chooses among entries)
    diversity: bool  # batch diversity (diverse_top_k over embeddings) applies to its scores
    rank: RankFn
    summary: str
    passive: bool = False  # ignores the model: the baseline itself

    @property
    def trains_committee(self) -> bool:
        return "committee_probs" in self.needs

    @property
    def trains_own_heads(self) -> bool:
        """Trains heads of its own on the frozen embeddings (a committee, or a head with dropout), so a
        project's fine-tuned model cannot stand in for them."""
        return self.trains_committee or "head_weight" in self.needs

    @property
    def stateful(self) -> bool:
        """Carries state from round to round (PoolRanking.state -> RankRequest.history)."""
        return self.kind == "bandit"

    def needs_with(self, *, diverse: bool) -> frozenset[str]:
        """The fields `rank_pool` reads for this entry, with or without batch diversity."""
        return self.needs | {"embeddings"} if diverse and self.diversity else self.needs


def _rank_by_scores(scorer: Strategy, *, diversity: bool) -> RankFn:
    def rank_scores(inputs: PoolInputs, request: RankRequest) -> PoolRanking:
        scored = scorer.score(inputs, request.rng, request.device, request.options)  # (n,) a tensor on the device
        ordered: torch.Tensor = rank(scored)  # (n,) sorted on the device
        n, k = len(ordered), min(request.batch_size, len(ordered))
        if request.diverse and diversity and k > 0:
            batch = diverse_top_k(scored, inputs.embeddings, k, labeled_embeddings=inputs.labeled_embeddings,
                                  device=request.device)  # fmt: skip
            outside = torch.ones(n, dtype=torch.bool, device=ordered.device)
            outside[batch] = False  # (n,) True for every row not in the batch
            ordered = torch.cat([batch, ordered[outside[ordered]]])  # the batch, then the others by score
        # The learner's edge: the caller persists the ranking, so it leaves the device once, here.
        return PoolRanking(order=to_numpy(ordered).astype(np.int64), scores=to_numpy(scored).astype(np.float64))

    return rank_scores


def _batch_ranking(picks: IntArray, values: FloatArray, n: int, rng: np.random.Generator) -> PoolRanking:
    scores = np.zeros(n)
    scores[picks] = values
    rest = np.setdiff1d(np.arange(n), picks, assume_unique=True)
    return PoolRanking(order=np.concatenate([picks, rng.permutation(rest)]), scores=scores)


def _rank_coreset(inputs: PoolInputs, request: RankRequest) -> PoolRanking:
    n = pool_size(inputs)
    picks, distances = k_center_greedy(
        inputs.embeddings, min(request.batch_size, n), labeled_embeddings=inputs.labeled_embeddings,
        rng=request.rng, device=request.device,
    )  # fmt: skip
    return _batch_ranking(picks, distances, n, request.rng)


def _rank_badge(inputs: PoolInputs, request: RankRequest) -> PoolRanking:
    n = pool_size(inputs)
    k = min(request.batch_size, n)
    picks = badge(inputs.probs, inputs.embeddings, k, rng=request.rng, device=request.device)
    return _batch_ranking(picks, np.linspace(1.0, 1.0 / max(k, 1), num=len(picks)), n, request.rng)  # pick order


def _rank_auto(inputs: PoolInputs, request: RankRequest) -> PoolRanking:
    def arm(name: str, rng: np.random.Generator) -> IntArray:
        entry = REGISTRY[name]
        return entry.rank(inputs, RankRequest(request.batch_size, rng, request.device, diverse=request.diverse,
                                              options=request.options)).order  # fmt: skip

    order, scores, state = auto_rank(inputs.probs, arm, batch_size=request.batch_size, rng=request.rng,
                                     history=request.history)  # fmt: skip
    return PoolRanking(order=order, scores=scores, state=state)


_SCORER_ENTRIES = [
    StrategyEntry(s.name, s.needs, "scores", diversity=s.name != BASELINE,
                  rank=_rank_by_scores(s, diversity=s.name != BASELINE), summary=s.summary, passive=s.name == BASELINE)
    for s in STRATEGIES.values()
]  # fmt: skip
_BATCH_ENTRIES = [
    StrategyEntry("coreset", frozenset({"embeddings"}), "batch", diversity=False, rank=_rank_coreset,
                  summary="k-center greedy cover of the embedding space (Sener & Savarese 2018)"),
    StrategyEntry("badge", frozenset({"probs", "embeddings"}), "batch", diversity=False, rank=_rank_badge,
                  summary="k-means++ over gradient embeddings: uncertain and diverse (Ash et al. 2020)"),
]  # fmt: skip
_AUTO_ENTRY = StrategyEntry(
    "auto", frozenset({"probs", "embeddings"}), "bandit", diversity=False, rank=_rank_auto,
    summary=f"{AUTO_ARMS[0]}, backed off to {AUTO_ARMS[1]} only when uniformly drawn audit items show "
            f"{AUTO_ARMS[1]}'s batches teach significantly more (audits as in Active Learning by Learning, "
            "Hsu & Lin 2015)",
)  # fmt: skip
REGISTRY: dict[str, StrategyEntry] = {e.name: e for e in [*_SCORER_ENTRIES, *_BATCH_ENTRIES, _AUTO_ENTRY]}
STRATEGY_NAMES = tuple(sorted(REGISTRY))
DEFAULT_STRATEGY = "auto"  # what a new project uses


def get_entry(name: str) -> StrategyEntry:
    """The entry registered as `name`; UnknownStrategyError lists the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownStrategyError(name, STRATEGY_NAMES) from None


def strategy_needs(strategy: str, *, diverse: bool = True) -> frozenset[str]:
    """The PoolInputs fields `rank_pool` will read for this strategy."""
    return get_entry(strategy).needs_with(diverse=diverse)


def rank_pool(
    strategy: str,
    inputs: PoolInputs,
    *,
    batch_size: int,
    rng: np.random.Generator,
    device: torch.device,
    diverse: bool = True,
    options: StrategyOptions = StrategyOptions(),  # noqa: B008 - frozen, safe to share
    history: AutoHistory | None = None,
) -> PoolRanking:
    """Order the n pool items: the first `batch_size` are the batch to label next.

    `inputs` may mix numpy arrays and tensors on any device; each is moved to `device` once,
    here, and the work stays there. The ranking returned is numpy: the learner's edge.
    """
    entry = get_entry(strategy)
    missing = sorted(name for name in entry.needs_with(diverse=diverse) if getattr(inputs, name) is None)
    if missing:
        raise LearnerError(f"Strategy {strategy!r} needs {missing} in PoolInputs.")
    inputs = inputs_on(inputs, device)  # mixed numpy and tensors move to the round's device once, here
    return entry.rank(inputs, RankRequest(batch_size, rng, device, diverse=diverse, options=options, history=history))
