"""Query strategies: pure scores over what the model says about the pool, higher = ask first.

One registry, `STRATEGIES`, maps the name a project stores to a `Strategy`: which fields of
`PoolInputs` it reads (so a training round computes only those; a committee costs extra) and
how it scores them. The scoring functions themselves are plain functions over arrays, one
family per module, usable from a notebook:

- uncertainty: least_confidence, margin, entropy
- committee: vote_entropy, consensus_entropy, max_disagreement, bald (= kl_consensus)
- density: information_density and the density-weighted entropy built from it
- gradient: expected_gradient_length
- mc_dropout: mc_bald, BALD over T dropout passes of the output layer, fused into one product
- random: the passive baseline every strategy must beat

Batch strategies that choose a whole batch jointly (core-set, BADGE) live in learner.batch;
learner.ranking joins both kinds under one namespace of names.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from learner.exceptions import LearnerError, UnknownStrategyError
from learner.inputs import PoolInputs, pool_size
from learner.strategies.committee import bald, consensus_entropy, max_disagreement, vote_entropy
from learner.strategies.density import REFERENCE_SIZE, density_weighted, information_density
from learner.strategies.gradient import expected_gradient_length
from learner.strategies.mc_dropout import PASSES, RATE, dropout_masks, mc_bald
from learner.strategies.random import random_scores
from learner.strategies.uncertainty import entropy, least_confidence, margin

__all__ = [
    "STRATEGIES",
    "Strategy",
    "StrategyOptions",
    "bald",
    "consensus_entropy",
    "density_weighted",
    "entropy",
    "expected_gradient_length",
    "get_strategy",
    "information_density",
    "least_confidence",
    "margin",
    "max_disagreement",
    "mc_bald",
    "random_scores",
    "vote_entropy",
]



@dataclass(frozen=True)
class StrategyOptions:
    """The knobs a project may turn; each scorer reads the ones that concern it."""

    density_beta: float = 1.0  # information density: 0 ignores density, larger favours typical items
    density_reference_size: int = REFERENCE_SIZE  # pool rows the mean similarity is taken over
    mc_passes: int = PASSES  # MC-dropout BALD: stochastic passes T
    mc_dropout: float = RATE  # MC-dropout BALD: dropout rate the head trains and is sampled with


ScoreFn = Callable[[PoolInputs, np.random.Generator, torch.device, StrategyOptions], Any]


@dataclass(frozen=True)
class Strategy:
    """A registered scorer: what it reads from PoolInputs and how it turns that into scores (n,)."""

    name: str
    needs: frozenset[str]
    score: ScoreFn  # (inputs, rng, device, options) -> (n,) scores, numpy or a tensor on the device
    summary: str


def _density_entropy(
    inputs: PoolInputs, rng: np.random.Generator, device: torch.device, options: StrategyOptions
) -> Any:
    density = information_density(inputs.embeddings, reference_size=options.density_reference_size, rng=rng,
                                  device=device)  # fmt: skip
    return density_weighted(entropy(inputs.probs, device=device), density, beta=options.density_beta)


def _mc_bald(inputs: PoolInputs, rng: np.random.Generator, device: torch.device, options: StrategyOptions) -> Any:
    """T dropout masks drawn from the strategy's rng, then one fused pass over the embeddings."""
    if inputs.head_weight is None:
        raise LearnerError("mc_bald needs the output layer's weights (PoolInputs.head_weight).")
    d = int(inputs.head_weight.shape[1])
    masks = torch.as_tensor(dropout_masks(options.mc_passes, d, options.mc_dropout, rng), device=device)  # (T, d)
    return mc_bald(inputs.embeddings, inputs.head_weight, inputs.head_bias, masks, device=device)


def _random(inputs: PoolInputs, rng: np.random.Generator, device: torch.device, options: StrategyOptions) -> Any:
    """Like every scorer: a tensor on the device for tensor inputs, numpy for numpy ones."""
    on_device = isinstance(inputs.probs, torch.Tensor)
    return random_scores(pool_size(inputs), rng, device=device if on_device else None)


_ENTRIES = [
    Strategy("least_confidence", frozenset({"probs"}), lambda i, r, d, o: least_confidence(i.probs, device=d),
             "1 - top probability"),
    Strategy("margin", frozenset({"probs"}), lambda i, r, d, o: margin(i.probs, device=d),
             "small gap between the two most probable classes"),
    Strategy("entropy", frozenset({"probs"}), lambda i, r, d, o: entropy(i.probs, device=d),
             "entropy of the predicted distribution"),
    Strategy("vote_entropy", frozenset({"committee_probs"}),
             lambda i, r, d, o: vote_entropy(i.committee_probs, device=d),
             "committee: entropy of the members' votes"),
    Strategy("consensus_entropy", frozenset({"committee_probs"}),
             lambda i, r, d, o: consensus_entropy(i.committee_probs, device=d),
             "committee: entropy of the mean distribution"),
    Strategy("max_disagreement", frozenset({"committee_probs"}),
             lambda i, r, d, o: max_disagreement(i.committee_probs, device=d),
             "committee: largest KL of a member to the consensus"),
    Strategy("bald", frozenset({"committee_probs"}), lambda i, r, d, o: bald(i.committee_probs, device=d),
             "committee: mutual information between label and member (BALD)"),
    Strategy("kl_consensus", frozenset({"committee_probs"}), lambda i, r, d, o: bald(i.committee_probs, device=d),
             "committee: mean KL of the members to the consensus (equals BALD)"),
    Strategy("density_entropy", frozenset({"probs", "embeddings"}), _density_entropy,
             "entropy x mean similarity to the pool, to the power beta (information density)"),
    Strategy("expected_gradient_length", frozenset({"probs", "embeddings"}),
             lambda i, r, d, o: expected_gradient_length(i.probs, i.embeddings, device=d),
             "expected norm of the output layer's gradient"),
    Strategy("mc_bald", frozenset({"embeddings", "head_weight"}), _mc_bald,
             "MC-dropout BALD: mutual information over T dropout passes of the head (Gal et al. 2017)"),
    Strategy("random", frozenset({"probs"}), _random,
             "uniform random order: the passive baseline"),
]  # fmt: skip
STRATEGIES: dict[str, Strategy] = {entry.name: entry for entry in _ENTRIES}


def get_strategy(name: str) -> Strategy:
    """The strategy registered as `name`; UnknownStrategyError lists the known names."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise UnknownStrategyError(name, STRATEGIES) from None
