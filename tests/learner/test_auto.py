"""auto: known answers on synthetic pools where one arm is clearly best, and its bookkeeping."""

import json
from typing import Any

import numpy as np
import pytest

from learner.auto import AUTO_ARMS, GAMMA, AutoHistory, arm_probabilities, audit_size, auto_rank, exp3_update
from learner.simulation import simulate

CLASSES = np.array(["a", "b", "c"])


def play(good: str, *, rounds: int = 45, n: int = 3000, batch: int = 20, seed: int = 0) -> dict[str, Any]:
    """Rounds of auto on a synthetic pool where the model is good (90% right) after a batch chosen
    by `good` and poor (40%) after a batch of any other arm. Which items a model gets right is
    fixed by a per-item difficulty, so two models differ exactly on the items between their levels."""
    world = np.random.default_rng(seed)
    truth = world.choice(CLASSES, n)
    difficulty = world.random(n)
    rng = np.random.default_rng(seed + 1)
    labeled: list[int] = []
    state, quality = None, 0.4
    for _ in range(rounds):
        pool_ids = np.setdiff1d(np.arange(n), labeled)
        wrong = CLASSES[(np.searchsorted(CLASSES, truth[pool_ids]) + 1) % 3]
        predicted = np.where(difficulty[pool_ids] < quality, truth[pool_ids], wrong)
        probs = (predicted[:, None] == CLASSES[None, :]).astype(float) * 0.8 + 0.2 / 3  # (n, 3)
        history = AutoHistory(state=state, pool_ids=pool_ids, labeled_ids=np.array(labeled, dtype=np.int64),
                              labeled_y=truth[labeled], classes=CLASSES)  # fmt: skip
        size = len(pool_ids)
        order, _, state = auto_rank(probs, lambda name, r, size=size: r.permutation(size), batch_size=batch,
                                    rng=rng, history=history)  # fmt: skip
        state = json.loads(json.dumps(state))  # as the product stores it between rounds
        quality = 0.9 if state["reserve"]["arm"] == good else 0.4
        labeled += pool_ids[order[:batch]].tolist()
    return state


@pytest.mark.parametrize("good", AUTO_ARMS)
def test_auto_learns_to_choose_the_arm_that_is_clearly_best(good: str) -> None:
    state = play(good)
    p = state["probabilities"]
    assert max(p, key=p.get) == good and p[good] > 0.6
    assert max(state["chosen"], key=state["chosen"].get) == good
    assert np.mean(state["gains"][good]) > 0 > max(np.mean(state["gains"][a]) for a in AUTO_ARMS if a != good)


def test_every_arm_keeps_the_exploration_floor() -> None:
    p = arm_probabilities({"random": 50.0, "margin": 0.0, "badge": -50.0})
    assert sum(p.values()) == pytest.approx(1.0)
    assert min(p.values()) >= GAMMA / len(AUTO_ARMS) - 1e-12 and p["random"] > 0.8


def test_exp3_weighs_a_gain_by_the_probability_of_the_arm_that_earned_it() -> None:
    weights = dict.fromkeys(AUTO_ARMS, 0.0)
    exp3_update(weights, "margin", 0.3, probability=0.5)
    exp3_update(weights, "badge", -0.3, probability=0.1)
    assert weights["margin"] == pytest.approx(0.3 / 0.5 / 3) and weights["badge"] == pytest.approx(-0.3 / 0.1 / 3)


def test_without_history_a_round_still_ranks_the_pool_with_uniform_audits_first() -> None:
    probs = np.random.default_rng(0).dirichlet(np.ones(3), size=50)
    order, scores, state = auto_rank(probs, lambda name, r: np.arange(50), batch_size=10, rng=np.random.default_rng(0),
                                     history=None)  # fmt: skip
    assert sorted(order.tolist()) == list(range(50)) and audit_size(10) == 2
    assert np.all(np.diff(scores[order]) < 0)  # the order is the score order
    assert state["rounds"] == 1 and len(state["reserve"]["ids"]) == 2
    assert not set(state["reserve"]["ids"]) & set(order[:10].tolist())  # next round's audits are not in this batch


def test_auto_in_the_simulator_is_seeded_and_says_which_arm_chose_each_batch() -> None:
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=3.0, size=(4, 5))
    X = np.concatenate([c + rng.normal(size=(60, 5)) for c in centers]).astype(np.float32)
    y = np.repeat(np.array(list("wxyz")), 60)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    first = simulate(X[:180], y[:180], X[180:], y[180:], strategy="auto", batch_size=10, budget=80, seed=2)
    again = simulate(X[:180], y[:180], X[180:], y[180:], strategy="auto", batch_size=10, budget=80, seed=2)
    assert first == again
    assert len(first.arms) == len(first.labels) - 1 and set(first.arms) <= set(AUTO_ARMS)
    assert first.accuracy[-1] > 0.9
