"""`auto`: BADGE, backed off to random only when uniformly drawn audit items show it should be.

Active Learning by Learning (Hsu & Lin, AAAI 2015) treats strategies as arms and rewards the arm
that chose a batch with how much that batch improved the model, measured on items drawn uniformly
from the pool. We keep that measurement and change how it is used. Per batch:

1. A few audit items (AUDIT_SHARE of the batch, at least MIN_AUDIT) are drawn uniformly from the
   unlabeled pool one round ahead: model h_t gives its class probabilities for them when they are
   drawn, model h_{t+1} (trained on batch t) next round, both before anyone has labeled them.
   They are then labeled as part of batch t+1, and once their labels are known,
   Brier(h_t) - Brier(h_{t+1}) on them is an unbiased, paired estimate of what batch t added:
   the two models are scored on the same fresh uniform items (progressive validation). The Brier
   score is a proper scoring rule that moves whenever the true class's probability moves; the
   first versions scored 0/1 accuracy, which moves only when the two models' guesses differ on
   an audit item, so most batches measured exactly 0 and the test below rarely had evidence.
   When the project is scored by balanced accuracy or macro-F1, each audit item's gain is
   weighted by 1 / (c x its class's share of the audits), so the gain is what the project's
   metric rewards, not what the pool's majority class does.
2. The rest of the batch comes from the leader, except that with probability challenge_share it
   comes from the challenger, so that the challenger's gains keep being measured.
3. Each challenger batch's gain is paired with the leader's batches just before and after it
   (their mean), so the fall of every batch's gain as the model improves cancels out of the
   comparison; a one-sided Wilcoxon signed-rank test on these paired differences decides. The
   lead passes when the challenger's batches add significantly more (p < ALPHA).
4. The challenger's share follows the same evidence: CHALLENGE_SHARE while the challenger may be
   the better arm, shrinking with the evidence that it is not: min(1, 2 q) x CHALLENGE_SHARE with
   q the one-sided p-value of "the challenger adds less", down to MIN_CHALLENGE_SHARE. Where the
   leader is clearly better its batches are diluted less; where the arms cannot be told apart the
   hedge stays.

Why not EXP3, as in the paper: with one or a few audit items per batch the gain of one batch is
mostly noise, so over 20-100 rounds EXP3's weights stay near uniform and `auto` became an even
mixture of its arms: it then trails random wherever one arm does (margin on 20 Newsgroups) and
needs more labels than the best arm. A leader that moves only on significant evidence is as good
as its prior choice when the arms cannot be told apart, and still backs off when one arm is
clearly worse.

Arms and constants, none tuned to a dataset:
- BADGE leads at first (Ash et al., ICLR 2020: across batch sizes and pools it was never far from
  the best of uncertainty and diversity; in our issue-14 run it was the one strategy that did not
  fall behind random beyond single points). Random is the challenger: the passive baseline the
  product promises not to lose to. Margin was dropped: it trailed random on 20 Newsgroups and on
  digits at batch 50, and BADGE already ranks by the same uncertainty, with diversity.
- CHALLENGE_SHARE = 0.1, the textbook epsilon of epsilon-greedy (Sutton & Barto 2018, ch. 2);
  MIN_CHALLENGE_SHARE = 0.02, one batch in fifty, so that a challenger shown worse early is still
  measured now and then.
- ALPHA = 0.05, the conventional one-sided level. The test is looked at every round, which makes a
  switch on noise likelier than 5% over a project's life; a switch to random on noise costs labels
  but never falls behind random, and a switch back needs the same evidence.
- AUDIT_SHARE = 0.1 (at least one item), epsilon again: the audits are uniform draws, so they are
  also a standing random share of every batch. One item a round is enough for the test: what it
  needs is audit labels over rounds, and a larger minimum would only dilute small batches (the
  first version's 2 of 10 was a fifth of every batch).

The state (leader, gains per arm with their rounds, pending audits, what was chosen) is a small
JSON-safe dict that the caller hands back next round (RankRequest.history); the product stores it
with the model version.
"""

from collections import Counter
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
CHALLENGE_SHARE = 0.1  # epsilon-greedy's epsilon: the challenger's share of rounds while it may be better
MIN_CHALLENGE_SHARE = 0.02  # its share once shown worse: still measured, one round in fifty
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
    metric: str = "accuracy"  # the project's yardstick (learner.metrics): any other weighs the classes evenly


@dataclass
class AutoState:
    """The JSON-safe state carried from round to round."""

    leader: str = AUTO_ARMS[0]
    rounds: int = 0
    chosen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AUTO_ARMS, 0))  # batches per arm
    gains: dict[str, list[list[float]]] = field(default_factory=lambda: {arm: [] for arm in AUTO_ARMS})  # [round, gain]
    switches: list[list[Any]] = field(default_factory=list)  # [round, new leader, p-value] per change of lead
    reserve: dict[str, Any] | None = None  # audit items drawn last round: ids, h_t's probabilities, arm, round
    pending: list[dict[str, Any]] = field(default_factory=list)  # audits predicted by both models, unlabeled
    audit_counts: list[list[Any]] = field(default_factory=list)  # [class, audit items labeled with it]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "AutoState":
        """A stored state; what earlier versions stored in another form (0/1 gains without their
        round, audits with guessed classes instead of probabilities) is left out, not misread."""
        if not data:
            return cls()
        leader = data.get("leader", AUTO_ARMS[0])
        reserve = data.get("reserve")
        return cls(leader=leader if leader in AUTO_ARMS else AUTO_ARMS[0], rounds=int(data["rounds"]),
                   chosen={arm: int(data["chosen"].get(arm, 0)) for arm in AUTO_ARMS},
                   gains={arm: [g for g in data["gains"].get(arm, []) if isinstance(g, list)] for arm in AUTO_ARMS},
                   switches=list(data.get("switches", [])), reserve=reserve if _scored(reserve) else None,
                   pending=[a for a in data.get("pending", []) if _scored(a)],
                   audit_counts=[list(c) for c in data.get("audit_counts", [])])  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {"leader": self.leader, "rounds": self.rounds, "chosen": self.chosen, "gains": self.gains,
                "switches": self.switches, "reserve": self.reserve, "pending": self.pending,
                "audit_counts": self.audit_counts,
                "probabilities": arm_probabilities(self.leader, challenge_share(self))}  # fmt: skip

    @property
    def challenger(self) -> str:
        return next(arm for arm in AUTO_ARMS if arm != self.leader)


def arm_probabilities(leader: str, share: float = CHALLENGE_SHARE) -> dict[str, float]:
    """The chance of each arm choosing the next batch: the challenger `share`, the leader the rest."""
    return {arm: 1.0 - share if arm == leader else share for arm in AUTO_ARMS}


def paired_differences(challenger: Sequence[Sequence[float]], leader: Sequence[Sequence[float]]) -> FloatArray:
    """Each challenger gain minus the mean of the leader's gains in the rounds nearest before and
    after it -> (n_paired,). Gains are [round, gain]; a challenger gain with no leader gain on
    either side is left out. Pairing by time cancels the fall of all gains as the model improves:
    a challenger measured mostly early is not credited with early rounds' larger gains."""
    if not leader:
        return np.zeros(0)
    rounds = np.array([r for r, _ in leader], dtype=np.float64)
    values = np.array([g for _, g in leader], dtype=np.float64)
    order = np.argsort(rounds, kind="stable")
    rounds, values = rounds[order], values[order]
    differences = []
    for r, gain in challenger:
        after = int(np.searchsorted(rounds, r, side="right"))  # first leader gain later than r
        before = int(np.searchsorted(rounds, r, side="left")) - 1  # last leader gain earlier than r
        neighbours = [values[i] for i in (before, after) if 0 <= i < len(values)]
        if neighbours:
            differences.append(gain - float(np.mean(neighbours)))
    return np.asarray(differences, dtype=np.float64)


def challenger_p_value(
    challenger: Sequence[Sequence[float]], leader: Sequence[Sequence[float]], alternative: str = "greater"
) -> float | None:
    """One-sided p-value of "the challenger's batches gain more than the leader's" (alternative
    "less": "... gain less"), by Wilcoxon's signed-rank test on the paired differences.

    Signed ranks, not a t-test: a batch's gain is mostly near 0 with now and then a large jump
    (an audit item turning right or wrong), and on two or three such pairs a t-test can pass on
    noise. The exact signed-rank test needs five pairs all on one side for p < 0.05. None (no
    evidence) with fewer than two pairs; 0.5 when every difference is 0.
    """
    d = paired_differences(challenger, leader)
    if len(d) < 2:
        return None
    if not np.any(d):
        return 0.5
    return float(stats.wilcoxon(d, alternative=alternative, zero_method="zsplit").pvalue)


def challenge_share(state: "AutoState") -> float:
    """The challenger's share of rounds: CHALLENGE_SHARE without evidence or while it may be better,
    min(1, 2 q) x CHALLENGE_SHARE as the evidence says it is not (q: the p-value of "the challenger
    gains less"), never below MIN_CHALLENGE_SHARE."""
    q = challenger_p_value(state.gains[state.challenger], state.gains[state.leader], alternative="less")
    if q is None:
        return CHALLENGE_SHARE
    return max(MIN_CHALLENGE_SHARE, CHALLENGE_SHARE * min(1.0, 2.0 * q))


def update_leader(state: "AutoState", alpha: float = ALPHA) -> None:
    """Hand the lead to the challenger when its measured gains are significantly higher."""
    challenger = state.challenger
    p = challenger_p_value(state.gains[challenger], state.gains[state.leader])
    if p is not None and p < alpha:
        state.leader = challenger
        state.switches.append([state.rounds, challenger, round(p, 5)])


def audit_size(batch_size: int) -> int:
    return min(batch_size, max(MIN_AUDIT, round(AUDIT_SHARE * batch_size)))


def brier(probabilities: Sequence[float], classes: Sequence[Any], truth: Any) -> float:
    """The Brier score sum_c (p_c - [c = truth])^2 of one prediction; a true class the model did
    not know yet (absent from `classes`) counts as probability 0."""
    p = np.asarray(probabilities, dtype=np.float64)
    p_true = float(p[classes.index(truth)]) if truth in classes else 0.0
    return float(p @ p - 2.0 * p_true + 1.0)


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
    classes = [_plain(c) for c in (np.asarray(history.classes) if history is not None else np.arange(p.shape[1]))]
    row_of = {int(i): r for r, i in enumerate(pool_ids.tolist())}
    if history is not None:
        _resolve(state, history)
        update_leader(state)
    audit_rows = _take_reserve(state, row_of, p, classes)  # last round's draws, now predicted by this model too
    probabilities = arm_probabilities(state.leader, challenge_share(state))
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
    state.reserve = {"ids": [int(pool_ids[r]) for r in reserve], "before": _predictions(p, reserve, classes),
                     "arm": arm, "round": state.rounds}  # fmt: skip
    state.chosen[arm] += 1
    state.rounds += 1
    scores = np.empty(n)
    scores[order] = np.linspace(1.0, 0.0, num=n, endpoint=False)  # earlier in the order = ask sooner
    return order, scores, state.as_dict()


def _predictions(p: np.ndarray, rows: IntArray, classes: list[Any]) -> dict[str, Any]:
    """One model's class probabilities for some pool rows, JSON-safe, with the classes of its columns."""
    return {"classes": classes, "probs": np.round(p[np.asarray(rows, dtype=np.int64)], 4).tolist()}


def _resolve(state: AutoState, history: AutoHistory) -> None:
    """Score every pending audit whose items now have labels; record the gain of the arm that chose its batch."""
    label_of = {int(i): _plain(y) for i, y in zip(np.asarray(history.labeled_ids).tolist(),
                                                    np.asarray(history.labeled_y).tolist(), strict=True)}  # fmt: skip
    waiting, scored = [], []
    for audit in state.pending:
        known = [j for j, item in enumerate(audit["ids"]) if item in label_of]
        if known:
            truth = [label_of[audit["ids"][j]] for j in known]
            scored.append((audit, known, truth))
            _count(state, truth)
            continue
        audit["age"] = audit.get("age", 0) + 1
        if audit["age"] < MAX_PENDING_ROUNDS:
            waiting.append(audit)
    weight = class_weights(state.audit_counts, [_plain(c) for c in history.classes], history.metric)
    for audit, known, truth in scored:
        before, after = audit["before"], audit["after"]
        gain = np.mean([weight(y) * (brier(before["probs"][j], before["classes"], y)
                                     - brier(after["probs"][j], after["classes"], y))
                        for j, y in zip(known, truth, strict=True)])  # fmt: skip
        if audit["arm"] in state.gains:  # an arm a stored state knows but this version dropped is skipped
            state.gains[audit["arm"]].append([audit["round"], round(float(gain), 4)])
    state.pending = waiting


def class_weights(counts: Sequence[Sequence[Any]], classes: Sequence[Any], metric: str) -> Callable[[Any], float]:
    """An audit item's weight by its class: 1 when the project is scored by accuracy; otherwise
    1 / (c p_y), with p_y the class's share of the labeled audit items (uniform draws, so an
    unbiased estimate of the pool's; add-one smoothed over the c classes known). An item's
    weighted gain then estimates the gain averaged evenly over classes, what balanced accuracy
    and macro-F1 reward: on an imbalanced pool, a batch that teaches a rare class counts."""
    if metric == "accuracy":
        return lambda _y: 1.0
    seen = {c: int(n) for c, n in counts}
    known = list(dict.fromkeys([*classes, *seen]))
    total, c = sum(seen.values()), len(known)
    return lambda y: (total + c) / (c * (seen.get(y, 0) + 1))


def _count(state: AutoState, labels: list[Any]) -> None:
    counts = Counter({c: n for c, n in state.audit_counts})
    counts.update(labels)
    state.audit_counts = [[c, n] for c, n in counts.items()]


def _take_reserve(state: AutoState, row_of: Mapping[int, int], p: np.ndarray, classes: list[Any]) -> IntArray:
    """Rows of last round's reserve still in the pool; their probabilities under this model join a pending audit."""
    reserve, state.reserve = state.reserve, None
    if not reserve:
        return np.zeros(0, dtype=np.int64)
    keep = [j for j, item in enumerate(reserve["ids"]) if item in row_of]
    if not keep:
        return np.zeros(0, dtype=np.int64)
    rows = np.array([row_of[reserve["ids"][j]] for j in keep], dtype=np.int64)
    before = reserve["before"]
    state.pending.append({
        "ids": [reserve["ids"][j] for j in keep], "arm": reserve["arm"], "round": reserve["round"],
        "before": {"classes": before["classes"], "probs": [before["probs"][j] for j in keep]},
        "after": _predictions(p, rows, classes),
    })  # fmt: skip
    return rows


def _scored(audit: Mapping[str, Any] | None) -> bool:
    """Whether a stored audit is of this version's kind: probabilities and the round it measures."""
    return audit is not None and isinstance(audit.get("before"), dict) and "round" in audit


def _plain(value: Any) -> Any:
    """A label as a JSON-safe Python value (numpy scalars and strings to their Python kind)."""
    return value.item() if isinstance(value, np.generic) else value
