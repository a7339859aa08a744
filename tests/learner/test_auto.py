"""auto: known answers on synthetic pools where one arm is clearly best, and its bookkeeping."""

import json
from typing import Any

import numpy as np
import pytest

from learner.auto import (
    AUTO_ARMS,
    CHALLENGE_SHARE,
    MIN_CHALLENGE_SHARE,
    AutoHistory,
    AutoState,
    arm_probabilities,
    audit_size,
    auto_rank,
    brier,
    challenge_share,
    challenger_p_value,
    class_weights,
    update_leader,
)
from learner.simulation import simulate

CLASSES = np.array(["a", "b", "c"])


def play(good: str, *, rounds: int = 60, n: int = 3000, batch: int = 20, seed: int = 0,
         bad_quality: float = 0.4) -> dict[str, Any]:  # fmt: skip
    """Rounds of auto on a synthetic pool where the model is good (90% right) after a batch chosen
    by `good` and poorer (`bad_quality`) after a batch of any other arm. Which items a model gets
    right is fixed by a per-item difficulty, so two models differ exactly on the items between their levels."""
    world = np.random.default_rng(seed)
    truth = world.choice(CLASSES, n)
    difficulty = world.random(n)
    rng = np.random.default_rng(seed + 1)
    labeled: list[int] = []
    state, quality = None, bad_quality
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
        quality = 0.9 if state["reserve"]["arm"] == good else bad_quality
        labeled += pool_ids[order[:batch]].tolist()
    return state


def test_auto_keeps_badge_when_badge_is_clearly_best() -> None:
    state = play("badge")
    assert state["leader"] == "badge" and state["switches"] == []
    assert np.mean([gain for _, gain in state["gains"]["random"]]) < 0  # random's batches measured as setbacks
    # Shown worse, the challenger dilutes less: its share has fallen from epsilon to near the floor.
    assert MIN_CHALLENGE_SHARE <= state["probabilities"]["random"] < CHALLENGE_SHARE / 2
    assert state["chosen"]["badge"] > 0.9 * state["rounds"]


def test_auto_backs_off_to_random_when_random_is_clearly_best() -> None:
    # A batch-10 project's 1,000 labels are 100 rounds; random gets a tenth of them until it leads, so
    # the evidence comes slowly, but it comes: on most pools the lead passes to random and stays.
    states = [play("random", seed=seed, rounds=100) for seed in range(8)]
    backed_off = [s for s in states if s["leader"] == "random"]
    assert len(backed_off) >= 6
    for state in backed_off:
        assert [arm for _, arm, _ in state["switches"]] == ["random"]  # once, and never back
        assert state["probabilities"]["random"] >= 1 - CHALLENGE_SHARE  # badge, now the challenger, shown worse
    assert np.median([s["switches"][0][0] for s in backed_off]) < 60


def test_auto_stays_with_badge_when_the_arms_are_alike() -> None:
    # Both arms give the same model: the measured gains are zero-mean noise, so the lead stays put.
    state = play("random", bad_quality=0.9)
    assert state["leader"] == "badge" and state["switches"] == []
    assert state["probabilities"]["random"] == pytest.approx(CHALLENGE_SHARE)  # the hedge stays whole


def test_the_challenger_needs_significant_evidence() -> None:
    noise = [0.0, 0.1, -0.1, 0.0, 0.05, -0.05, 0.0, 0.1, -0.1, 0.0, 0.0, 0.0]
    leader = [[2 * i, g] for i, g in enumerate(noise)]
    assert challenger_p_value([[3, 0.5]], leader) is None  # one pair is no evidence
    assert challenger_p_value([[1, 0.0], [5, 0.0]], [[0, 0.0], [2, 0.0], [4, 0.0], [6, 0.0]]) == 0.5
    ahead = [[1, 0.5], [5, 0.4], [9, 0.6], [13, 0.5], [17, 0.3]]
    assert challenger_p_value(ahead[:3], leader) > 0.1  # three big gains may be luck
    assert challenger_p_value(ahead, leader) < 0.05  # five, each above the leader's around it, are not
    assert challenger_p_value([[1, 0.1], [5, -0.1], [9, 0.0], [13, 0.05], [17, -0.05]], leader) > 0.3
    state = AutoState(gains={"badge": leader, "random": ahead}, rounds=20)
    update_leader(state)
    assert state.leader == "random" and state.switches[0][:2] == [20, "random"]
    update_leader(state)  # badge's gains are not higher than random's: the lead stays
    assert state.leader == "random" and len(state.switches) == 1


def test_a_challenger_measured_early_is_not_credited_with_early_gains() -> None:
    # Every batch adds less as the model improves. A challenger measured only in the first rounds,
    # adding exactly what the leader's batches around it add, is no better than the leader.
    def fall(r: int) -> float:
        return 1.0 / (1 + r)

    noise = np.random.default_rng(0).normal(scale=0.01, size=40)
    leader = [[r, fall(r) + noise[r]] for r in range(40) if r not in (1, 3, 5, 7)]
    challenger = [[r, fall(r) + noise[r]] for r in (1, 3, 5, 7)]
    p = challenger_p_value(challenger, leader)
    assert p is not None and p > 0.2
    unpaired = np.mean([g for _, g in challenger]) - np.mean([g for _, g in leader])
    assert unpaired > 0.1  # what comparing the two means would have credited it with


def test_the_challengers_share_follows_the_evidence() -> None:
    leader = [[r, 0.05 + 0.01 * np.sin(r)] for r in range(0, 40, 2)]
    state = AutoState(gains={"badge": leader, "random": []})
    assert challenge_share(state) == CHALLENGE_SHARE  # no evidence yet: the whole hedge
    state.gains["random"] = [[3, 0.07], [13, 0.08], [23, 0.06], [31, 0.07]]  # ahead
    assert challenge_share(state) == CHALLENGE_SHARE
    state.gains["random"] = [[r, -0.2 + 0.01 * np.cos(r)] for r in (3, 9, 13, 23, 29, 33)]  # clearly behind
    assert challenge_share(state) == MIN_CHALLENGE_SHARE
    assert arm_probabilities("badge", challenge_share(state)) == {
        "badge": pytest.approx(1 - MIN_CHALLENGE_SHARE),
        "random": pytest.approx(MIN_CHALLENGE_SHARE),
    }


def test_the_brier_score_measures_every_change_of_the_true_classs_probability() -> None:
    assert brier([1.0, 0.0], ["a", "b"], "a") == 0.0
    assert brier([0.5, 0.5], ["a", "b"], "a") == pytest.approx(0.5)
    assert brier([0.6, 0.4], ["a", "b"], "a") == pytest.approx(0.32)  # still a right guess, a better score
    assert brier([1.0, 0.0], ["a", "b"], "c") == pytest.approx(2.0)  # a class the model did not know yet


def test_the_leader_gets_one_minus_epsilon_of_the_rounds() -> None:
    p = arm_probabilities("badge")
    assert p == {"badge": pytest.approx(1 - CHALLENGE_SHARE), "random": pytest.approx(CHALLENGE_SHARE)}


@pytest.mark.parametrize("old", [
    {"log_weights": {"random": 0.1, "margin": 0.3, "badge": 0.2}, "rounds": 4,
     "chosen": {"random": 1, "margin": 2, "badge": 1}, "gains": {"margin": [0.5], "badge": [0.0]},
     "reserve": None, "pending": [{"ids": [1], "before": ["a"], "after": ["a"], "arm": "margin", "p": 0.3}]},
    {"leader": "random", "rounds": 4, "chosen": {"random": 3, "badge": 1}, "gains": {"badge": [0.0], "random": [1.0]},
     "switches": [[3, "random", 0.01]], "reserve": {"ids": [2], "before": ["b"], "arm": "random"},
     "pending": [{"ids": [1], "before": ["b"], "after": ["a"], "arm": "random"}]},
], ids=["bandit version", "accuracy version"])  # fmt: skip
def test_a_state_from_an_earlier_version_still_loads(old: dict[str, Any]) -> None:
    state = AutoState.from_dict(old)
    assert state.chosen["badge"] == 1 and state.gains == {"badge": [], "random": []}  # 0/1 gains without rounds
    assert state.pending == [] and state.reserve is None  # audits of guessed classes: not misread as probabilities
    history = AutoHistory(state=old, pool_ids=np.arange(2, 12), labeled_ids=np.array([1]), labeled_y=np.array(["a"]),
                          classes=CLASSES)  # fmt: skip
    probs = np.full((10, 3), 1 / 3)
    _, _, new = auto_rank(probs, lambda name, r: r.permutation(10), batch_size=4, rng=np.random.default_rng(0),
                          history=history)  # fmt: skip
    assert new["rounds"] == 5 and "margin" not in new["gains"] and new["leader"] == old.get("leader", "badge")
    assert new["gains"] == {"badge": [], "random": []}


def test_without_history_a_round_still_ranks_the_pool_with_uniform_audits_first() -> None:
    probs = np.random.default_rng(0).dirichlet(np.ones(3), size=50)
    order, scores, state = auto_rank(probs, lambda name, r: np.arange(50), batch_size=10, rng=np.random.default_rng(0),
                                     history=None)  # fmt: skip
    assert sorted(order.tolist()) == list(range(50)) and audit_size(10) == 1 and audit_size(50) == 5
    assert np.all(np.diff(scores[order]) < 0)  # the order is the score order
    assert state["rounds"] == 1 and len(state["reserve"]["ids"]) == 1
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


def test_audit_items_are_weighted_by_what_the_projects_metric_rewards() -> None:
    counts = [["earn", 9], ["grain", 1]]  # the labeled audit items: uniform draws, so the pool's shares
    assert class_weights(counts, ["earn", "grain"], "accuracy")("grain") == 1.0
    weight = class_weights(counts, ["earn", "grain"], "macro_f1")
    assert weight("earn") == pytest.approx(12 / 20) and weight("grain") == pytest.approx(12 / 4)  # add-one smoothed
    # An audit item of the rare class that a batch taught counts five times one of the majority class.
    assert weight("grain") / weight("earn") == pytest.approx(5.0)
