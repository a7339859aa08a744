"""The registry's contract, for every entry: what it declares is what it reads, and it ranks the whole pool."""

import json

import numpy as np
import pytest
import torch

from learner.auto import AutoHistory
from learner.exceptions import LearnerError, UnknownStrategyError
from learner.inputs import PoolInputs
from learner.ranking import DEFAULT_STRATEGY, REGISTRY, STRATEGY_NAMES, get_entry, rank_pool, strategy_needs
from learner.strategies import STRATEGIES

N, BATCH = 40, 6
CPU = torch.device("cpu")
FIELDS = ("probs", "committee_probs", "embeddings", "head_weight")


def pool(n: int = N) -> PoolInputs:
    rng = np.random.default_rng(0)
    committee = rng.dirichlet(np.ones(3), size=(4, n))  # (4, n, 3)
    return PoolInputs(probs=committee.mean(axis=0), committee_probs=committee, embeddings=rng.normal(size=(n, 5)),
                      labeled_embeddings=rng.normal(size=(7, 5)), head_weight=torch.randn(3, 5, dtype=torch.float64),
                      head_bias=torch.zeros(3, dtype=torch.float64))  # fmt: skip


def only(inputs: PoolInputs, fields: frozenset[str]) -> PoolInputs:
    kept = {name: getattr(inputs, name) for name in fields}
    if "embeddings" in fields:
        kept["labeled_embeddings"] = inputs.labeled_embeddings
    if "head_weight" in fields:
        kept["head_bias"] = inputs.head_bias
    return PoolInputs(**kept)


def history(n: int = N) -> AutoHistory:
    return AutoHistory(state=None, pool_ids=np.arange(n), labeled_ids=np.arange(n, n + 7),
                       labeled_y=np.array(list("abcabca")), classes=np.array(["a", "b", "c"]))  # fmt: skip


def test_every_scorer_has_an_entry_and_the_names_are_the_registry() -> None:
    assert set(STRATEGIES) <= set(REGISTRY)
    assert {"coreset", "badge", "auto"} <= set(REGISTRY)
    assert tuple(sorted(REGISTRY)) == STRATEGY_NAMES and DEFAULT_STRATEGY in REGISTRY


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_each_entry_declares_a_consistent_kind(name: str) -> None:
    entry = get_entry(name)
    assert entry.name == name and entry.summary
    assert entry.kind in {"scores", "batch", "bandit"}
    assert entry.needs <= set(FIELDS)
    assert entry.trains_committee == ("committee_probs" in entry.needs)
    assert entry.passive == (name == "random")
    assert not (entry.diversity and entry.kind != "scores")  # only scores are spread out afterwards
    assert entry.needs_with(diverse=False) == entry.needs
    assert entry.needs_with(diverse=True) == entry.needs | ({"embeddings"} if entry.diversity else set())
    assert strategy_needs(name) == entry.needs_with(diverse=True)


@pytest.mark.parametrize("diverse", [True, False])
@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_each_entry_ranks_the_whole_pool_from_only_what_it_declares(name: str, diverse: bool) -> None:
    entry = get_entry(name)
    inputs = only(pool(), entry.needs_with(diverse=diverse))
    ranks = [rank_pool(name, inputs, batch_size=BATCH, rng=np.random.default_rng(1), device=CPU, diverse=diverse,
                       history=history() if entry.stateful else None) for _ in range(2)]  # fmt: skip
    first = ranks[0]
    assert sorted(first.order.tolist()) == list(range(N))  # a permutation: every item once
    assert first.scores.shape == (N,) and np.all(np.isfinite(first.scores))
    np.testing.assert_array_equal(first.order, ranks[1].order)  # seeded: the same draws give the same order
    assert (first.state is not None) == entry.stateful
    if first.state is not None:
        json.dumps(first.state)  # the product stores it in a JSON field


@pytest.mark.parametrize("name", [n for n in STRATEGY_NAMES if REGISTRY[n].needs])
def test_a_missing_declared_input_is_refused_by_name(name: str) -> None:
    entry = get_entry(name)
    missing = sorted(entry.needs)[0]
    inputs = only(pool(), entry.needs_with(diverse=True) - {missing})
    if not any(getattr(inputs, f) is not None for f in FIELDS):
        inputs = PoolInputs(probs=pool().probs) if missing != "probs" else PoolInputs(embeddings=pool().embeddings)
    with pytest.raises(LearnerError, match=missing):
        rank_pool(name, inputs, batch_size=BATCH, rng=np.random.default_rng(0), device=CPU)


def test_an_unknown_name_lists_every_entry() -> None:
    with pytest.raises(UnknownStrategyError) as caught:
        get_entry("magic")
    assert "auto" in str(caught.value) and "badge" in str(caught.value) and "margin" in str(caught.value)
