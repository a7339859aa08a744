"""`auto`: learn online which strategy pays on this pool, and hedge while it is not known.

Active Learning by Learning (Hsu & Lin, AAAI 2015) treats strategies as the arms of an
adversarial bandit (EXP3, Auer et al. 2002) and rewards the arm that chose a batch with how much
that batch improved the model, measured on items drawn uniformly from the pool. Here, per batch:

1. A few audit items (AUDIT_SHARE of the batch, at least MIN_AUDIT) are drawn uniformly from the
   unlabeled pool one round ahead: model h_t predicts them when they are drawn, model h_{t+1}
   (trained on batch t) predicts them next round, and both before anyone has labeled them.
   They are then labeled as part of batch t+1, and once their labels are known,
   accuracy(h_{t+1}) - accuracy(h_t) on them is an unbiased, paired estimate of what batch t
   added: the two models are scored on the same fresh uniform items (progressive validation).
2. That gain, importance-weighted by the probability of the arm that chose batch t, updates
   the arm's log-weight (EXP3); arm probabilities mix the weights with a uniform floor GAMMA, so
   every arm, random included, keeps being tried: the hedge.
3. The rest of the batch comes from the arm drawn for this round.

Arms: random (the passive baseline), margin (with batch diversity) and BADGE. Nothing is tuned
to a dataset: the constants below are the textbook defaults of EXP3 and a 10% audit share.
The state (log-weights, pending audits, what was chosen) is a small JSON-safe dict that the
caller hands back next round (RankRequest.history); the product stores it with the model version.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from learner.arrays import to_numpy
from learner.types import FloatArray, IntArray

AUTO_ARMS = ("random", "margin", "badge")
AUDIT_SHARE = 0.1  # of each batch, drawn uniformly: measures the models and hedges at once
MIN_AUDIT = 2
GAMMA = 0.2  # EXP3's uniform exploration: every arm keeps at least GAMMA / K of the rounds
ETA = 1.0  # EXP3 learning rate on gains in accuracy (each in [-1, 1], divided by the arm's probability)
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

    log_weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(AUTO_ARMS, 0.0))
    rounds: int = 0
    chosen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AUTO_ARMS, 0))  # batches per arm
    gains: dict[str, list[float]] = field(default_factory=lambda: {arm: [] for arm in AUTO_ARMS})
    reserve: dict[str, Any] | None = None  # audit items drawn last round: ids, h_t's predictions, arm, p
    pending: list[dict[str, Any]] = field(default_factory=list)  # audits predicted by both models, unlabeled

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "AutoState":
        if not data:
            return cls()
        return cls(log_weights={**dict.fromkeys(AUTO_ARMS, 0.0), **data["log_weights"]}, rounds=int(data["rounds"]),
                   chosen={**dict.fromkeys(AUTO_ARMS, 0), **data["chosen"]},
                   gains={arm: list(data["gains"].get(arm, [])) for arm in AUTO_ARMS},
                   reserve=data.get("reserve"), pending=list(data.get("pending", [])))  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {"log_weights": self.log_weights, "rounds": self.rounds, "chosen": self.chosen, "gains": self.gains,
                "reserve": self.reserve, "pending": self.pending, "probabilities": arm_probabilities(self.log_weights)}


def arm_probabilities(log_weights: Mapping[str, float], gamma: float = GAMMA) -> dict[str, float]:
    """EXP3: (1 - gamma) x softmax(log-weights) + gamma / K, per arm."""
    values = np.array([log_weights[arm] for arm in AUTO_ARMS], dtype=np.float64)
    weights = np.exp(values - values.max())
    p = (1 - gamma) * weights / weights.sum() + gamma / len(AUTO_ARMS)
    return {arm: float(q) for arm, q in zip(AUTO_ARMS, p, strict=True)}


def exp3_update(log_weights: dict[str, float], arm: str, gain: float, probability: float, eta: float = ETA) -> None:
    """Importance-weighted EXP3 step: the chosen arm's log-weight moves by eta * gain / probability / K."""
    log_weights[arm] += eta * gain / probability / len(AUTO_ARMS)


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
    audit_rows = _take_reserve(state, row_of, predicted)  # last round's draws, now predicted by this model too
    probabilities = arm_probabilities(state.log_weights)
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
                     "arm": arm, "p": probabilities[arm]}  # fmt: skip
    state.chosen[arm] += 1
    state.rounds += 1
    scores = np.empty(n)
    scores[order] = np.linspace(1.0, 0.0, num=n, endpoint=False)  # earlier in the order = ask sooner
    return order, scores, state.as_dict()


def _resolve(state: AutoState, history: AutoHistory) -> None:
    """Score every pending audit whose items now have labels; reward the arm that chose its batch."""
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
        gain = float(after - before)
        exp3_update(state.log_weights, audit["arm"], gain, audit["p"])
        state.gains[audit["arm"]].append(round(gain, 4))
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
        "after": [_plain(predicted[r]) for r in rows], "arm": reserve["arm"], "p": reserve["p"],
    })  # fmt: skip
    return rows


def _plain(value: Any) -> Any:
    """A label as a JSON-safe Python value (numpy scalars and strings to their Python kind)."""
    return value.item() if isinstance(value, np.generic) else value
