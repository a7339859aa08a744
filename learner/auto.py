"""`auto`: BADGE, backed off to random only when uniformly drawn audit items show it should be.

Active Learning by Learning (Hsu & Lin, AAAI 2015) treats strategies as arms and rewards the arm
that chose a batch with how much that batch improved the model, measured on items drawn uniformly
from the pool. We keep that measurement and change how it is used. Per batch:

1. A few audit items (AUDIT_SHARE of the batch, at least MIN_AUDIT) are drawn uniformly from the
   unlabeled pool one round ahead: model h_t predicts them when they are drawn, model h_{t+1}
   (trained on batch t) predicts them next round, and both before anyone has labeled them.
   They are then labeled as part of batch t+1, and once their labels are known,
   accuracy(h_{t+1}) - accuracy(h_t) on them is an unbiased, paired estimate of what batch t
   added: the two models are scored on the same fresh uniform items (progressive validation).
2. The rest of the batch comes from the leader, except that with probability CHALLENGE_SHARE it
   comes from the challenger, so that the challenger's gains keep being measured.
3. The leader changes only when the measured gains say so: a one-sided Welch t-test of "the
   challenger's batches add more than the leader's" at level ALPHA. Until then it stays.

Why not EXP3, as in the paper: with one or a few audit items per batch the gain of one batch is
mostly noise (it moves only when the two models disagree on an audit item), so over 20-100 rounds
EXP3's weights stay near uniform and `auto` became an even mixture of its arms: it then trails
random wherever one arm does (margin on 20 Newsgroups) and needs more labels than the best arm.
A leader that moves only on significant evidence is as good as its prior choice when the arms
cannot be told apart, and still backs off when one arm is clearly worse.

Arms and constants, none tuned to a dataset:
- BADGE leads at first (Ash et al., ICLR 2020: across batch sizes and pools it was never far from
  the best of uncertainty and diversity; in our issue-14 run it was the one strategy that did not
  fall behind random beyond single points). Random is the challenger: the passive baseline the
  product promises not to lose to. Margin was dropped: it trailed random on 20 Newsgroups and on
  digits at batch 50, and BADGE already ranks by the same uncertainty, with diversity.
- CHALLENGE_SHARE = 0.1, the textbook epsilon of epsilon-greedy (Sutton & Barto 2018, ch. 2).
- ALPHA = 0.05, the conventional one-sided level. The test is looked at every round, which makes a
  switch on noise likelier than 5% over a project's life; a switch to random on noise costs labels
  but never falls behind random, and a switch back needs the same evidence.
- AUDIT_SHARE = 0.1 (at least one item), epsilon again: the audits are uniform draws, so they are
  also a standing random share of every batch. One item a round is enough for the test: what it
  needs is audit labels over rounds, and a larger minimum would only dilute small batches (the
  first version's 2 of 10 was a fifth of every batch).

The state (leader, gains per arm, pending audits, what was chosen) is a small JSON-safe dict that
the caller hands back next round (RankRequest.history); the product stores it with the model version.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from scipy import stats

from learner.arrays import to_numpy
from learner.types import FloatArray, IntArray

AUTO_ARMS = ("badge", "random")  # the first leads until the audits say otherwise
AUDIT_SHARE = 0.1  # of each batch, drawn uniformly: measures the models and hedges at once
MIN_AUDIT = 1
CHALLENGE_SHARE = 0.1  # epsilon-greedy's epsilon: the share of rounds that go to the challenger
ALPHA = 0.05  # one-sided level of the test that moves the lead
MAX_PENDING_ROUNDS = 3  # an audit whose items are still unlabeled after this many rounds is dropped


@dataclass(frozen=True)
class AutoHistory:
    """What `auto` needs to know about earlier rounds: its own state and the labels since.

    pool_ids and labeled_ids are stable item identifiers (pool rows in a simulation, Item ids in
    the product), so audits drawn in one round are found again in the next.
    """

    state: Mapping[str, Any] | None  # the previous round's PoolRanking.state; None on the first round
    pool_ids: IntArray  # (n,) ids of the pool rows being ranked now
    labeled_ids: IntArray  # (n_labeled,) ids of the items labeled so far
    labeled_y: np.ndarray  # (n_labeled,) their labels
    classes: np.ndarray  # (c,) the labels of the columns of probs


@dataclass
class AutoState:
    """The JSON-safe state carried from round to round."""

    leader: str = AUTO_ARMS[0]
    rounds: int = 0
    chosen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AUTO_ARMS, 0))  # batches per arm
    gains: dict[str, list[float]] = field(default_factory=lambda: {arm: [] for arm in AUTO_ARMS})
    switches: list[list[Any]] = field(default_factory=list)  # [round, new leader, p-value] per change of lead
    reserve: dict[str, Any] | None = None  # audit items drawn last round: ids, h_t's predictions, arm
    pending: list[dict[str, Any]] = field(default_factory=list)  # audits predicted by both models, unlabeled

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "AutoState":
        if not data:
            return cls()
        leader = data.get("leader", AUTO_ARMS[0])
        return cls(leader=leader if leader in AUTO_ARMS else AUTO_ARMS[0], rounds=int(data["rounds"]),
                   chosen={arm: int(data["chosen"].get(arm, 0)) for arm in AUTO_ARMS},
                   gains={arm: list(data["gains"].get(arm, [])) for arm in AUTO_ARMS},
                   switches=list(data.get("switches", [])), reserve=data.get("reserve"),
                   pending=list(data.get("pending", [])))  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {"leader": self.leader, "rounds": self.rounds, "chosen": self.chosen, "gains": self.gains,
                "switches": self.switches, "reserve": self.reserve, "pending": self.pending,
                "probabilities": arm_probabilities(self.leader)}  # fmt: skip


def arm_probabilities(leader: str, challenge_share: float = CHALLENGE_SHARE) -> dict[str, float]:
    """The chance of each arm choosing the next batch: the leader 1 - epsilon, the challenger epsilon."""
    return {arm: 1.0 - challenge_share if arm == leader else challenge_share for arm in AUTO_ARMS}


def challenger_p_value(challenger: Sequence[float], leader: Sequence[float]) -> float:
    """One-sided Welch t-test p-value of "the challenger's batches gain more than the leader's".

    1.0 (no evidence) while either arm has fewer than two gains or both are constant.
    """
    if len(challenger) < 2 or len(leader) < 2:
        return 1.0
    a, b = np.asarray(challenger, dtype=np.float64), np.asarray(leader, dtype=np.float64)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)  # squared standard errors of the two means
    if va + vb == 0:
        return 1.0  # equal constants, or a difference that constant gains cannot vouch for
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))  # Welch-Satterthwaite
    return float(stats.t.sf((a.mean() - b.mean()) / np.sqrt(va + vb), df))


def update_leader(state: "AutoState", alpha: float = ALPHA) -> None:
    """Hand the lead to the challenger when its measured gains are significantly higher."""
    challenger = next(arm for arm in AUTO_ARMS if arm != state.leader)
    p = challenger_p_value(state.gains[challenger], state.gains[state.leader])
    if p < alpha:
        state.leader = challenger
        state.switches.append([state.rounds, challenger, round(p, 5)])


def audit_size(batch_size: int) -> int:
    return min(batch_size, max(MIN_AUDIT, round(AUDIT_SHARE * batch_size)))


def auto_rank(
    probs: Any,
    arm_order: Callable[[str, np.random.Generator], IntArray],
    *,
    batch_size: int,
    rng: np.random.Generator,
    history: AutoHistory | None,
) -> tuple[IntArray, FloatArray, dict[str, Any]]:
    """One round of `auto` over a pool of n items -> (order (n,), scores (n,), state for the next round).

    probs: (n, c) the current model's probabilities (numpy or tensor); arm_order(name, rng) is the
    whole pool's order under that arm. Without a history (a notebook, one round) there is nothing
    to audit against: the audit items are drawn and the arm chosen, but no gain is measured.
    """
    p = to_numpy(probs) if isinstance(probs, torch.Tensor) else np.asarray(probs)  # (n, c): the learner's edge
    n = len(p)
    state = AutoState.from_dict(history.state if history is not None else None)
    pool_ids = np.asarray(history.pool_ids) if history is not None else np.arange(n)
    predicted = (np.asarray(history.classes)[p.argmax(axis=1)] if history is not None else p.argmax(axis=1)).tolist()
    row_of = {int(i): r for r, i in enumerate(pool_ids.tolist())}
    if history is not None:
        _resolve(state, history)
        update_leader(state)
    audit_rows = _take_reserve(state, row_of, predicted)  # last round's draws, now predicted by this model too
    probabilities = arm_probabilities(state.leader)
    arm = AUTO_ARMS[int(rng.choice(len(AUTO_ARMS), p=[probabilities[a] for a in AUTO_ARMS]))]
    k = min(batch_size, n)
    m = audit_size(k)
    if len(audit_rows) < m:  # first round, or audits labeled meanwhile: top up with fresh uniform draws
        others = np.setdiff1d(np.arange(n), audit_rows)
        audit_rows = np.concatenate([audit_rows, rng.choice(others, size=min(m - len(audit_rows), len(others)),
                                                            replace=False)]).astype(np.int64)  # fmt: skip
    arm_rows = np.asarray(arm_order(arm, rng), dtype=np.int64)
    arm_rows = arm_rows[~np.isin(arm_rows, audit_rows)]
    order = np.concatenate([audit_rows, arm_rows]).astype(np.int64)
    batch = order[:k]
    # Next round's audit items: uniform over what this batch leaves, predicted now by this model.
    rest = np.setdiff1d(np.arange(n), batch)
    reserve = rng.choice(rest, size=min(m, len(rest)), replace=False) if len(rest) else np.zeros(0, dtype=np.int64)
    state.reserve = {"ids": [int(pool_ids[r]) for r in reserve], "before": [_plain(predicted[r]) for r in reserve],
                     "arm": arm}  # fmt: skip
    state.chosen[arm] += 1
    state.rounds += 1
    scores = np.empty(n)
    scores[order] = np.linspace(1.0, 0.0, num=n, endpoint=False)  # earlier in the order = ask sooner
    return order, scores, state.as_dict()


def _resolve(state: AutoState, history: AutoHistory) -> None:
    """Score every pending audit whose items now have labels; record the gain of the arm that chose its batch."""
    label_of = {int(i): _plain(y) for i, y in zip(np.asarray(history.labeled_ids).tolist(),
                                                    np.asarray(history.labeled_y).tolist(), strict=True)}  # fmt: skip
    waiting = []
    for audit in state.pending:
        known = [j for j, item in enumerate(audit["ids"]) if item in label_of]
        if not known:
            audit["age"] = audit.get("age", 0) + 1
            if audit["age"] < MAX_PENDING_ROUNDS:
                waiting.append(audit)
            continue
        truth = [label_of[audit["ids"][j]] for j in known]
        before = np.mean([audit["before"][j] == y for j, y in zip(known, truth, strict=True)])
        after = np.mean([audit["after"][j] == y for j, y in zip(known, truth, strict=True)])
        if audit["arm"] in state.gains:  # an arm a stored state knows but this version dropped is skipped
            state.gains[audit["arm"]].append(round(float(after - before), 4))
    state.pending = waiting


def _take_reserve(state: AutoState, row_of: Mapping[int, int], predicted: list[Any]) -> IntArray:
    """Rows of last round's reserve still in the pool; their predictions by this model join a pending audit."""
    reserve, state.reserve = state.reserve, None
    if not reserve:
        return np.zeros(0, dtype=np.int64)
    keep = [j for j, item in enumerate(reserve["ids"]) if item in row_of]
    if not keep:
        return np.zeros(0, dtype=np.int64)
    rows = np.array([row_of[reserve["ids"][j]] for j in keep], dtype=np.int64)
    state.pending.append({
        "ids": [reserve["ids"][j] for j in keep], "before": [reserve["before"][j] for j in keep],
        "after": [_plain(predicted[r]) for r in rows], "arm": reserve["arm"],
    })  # fmt: skip
    return rows


def _plain(value: Any) -> Any:
    """A label as a JSON-safe Python value (numpy scalars and strings to their Python kind)."""
    return value.item() if isinstance(value, np.generic) else value
