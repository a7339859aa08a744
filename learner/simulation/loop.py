"""One simulated labeling run: cold start, then batch after batch chosen by a strategy."""

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from learner.batch import typical_representatives
from learner.exceptions import LearnerError, NotEnoughLabelsError
from learner.metrics import majority_baseline, score
from learner.models.softmax import SoftmaxClassifier, SoftmaxConfig
from learner.strategies import StrategyOptions
from learner.training import run_round
from learner.types import FloatArray, IntArray

START_CHOICES = ("typicality", "random")  # the product's cold start, and the honest baseline's


@dataclass(frozen=True)
class Curve:
    """Accuracy on the held-out split after each batch: accuracy[i] was reached with labels[i] labels."""

    strategy: str
    start: str
    batch_size: int
    seed: int
    diverse: bool
    labels: tuple[int, ...]
    accuracy: tuple[float, ...]  # the run's metric (accuracy unless `metric` says otherwise), single classifier
    metric: str = "accuracy"
    arms: tuple[str, ...] = ()  # auto: the arm that chose each batch after the first
    # stop_predictions[i]: the model's predicted class for each stop-set row after labels[i]
    # labels (simulate(X_stop=...)); empty when no stop set was given.
    stop_predictions: tuple[tuple[Any, ...], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        saved = {"strategy": self.strategy, "start": self.start, "batch_size": self.batch_size, "seed": self.seed,
                 "diverse": self.diverse, "labels": list(self.labels), "accuracy": list(self.accuracy),
                 "metric": self.metric, "arms": list(self.arms)}  # fmt: skip
        if self.stop_predictions:
            saved["stop_predictions"] = [list(row) for row in self.stop_predictions]
        return saved


def simulate(
    X_pool: FloatArray,
    y_pool: Any,
    X_test: FloatArray,
    y_test: Any,
    *,
    strategy: str,
    batch_size: int,
    budget: int,
    seed: int,
    start: str = "typicality",
    diverse: bool = True,
    config: SoftmaxConfig = SoftmaxConfig(),  # noqa: B008 - frozen, safe to share
    options: StrategyOptions = StrategyOptions(),  # noqa: B008 - frozen, safe to share
    device: str = "cpu",
    typical: IntArray | None = None,
    metric: str = "accuracy",
    X_stop: FloatArray | None = None,
) -> Curve:
    """Label `batch_size` items at a time from X_pool (n, d) until `budget` labels (or the pool) run out.

    The first batch comes from the cold start: `start="typicality"` is what the product does
    before any model exists (one typical item per k-means cluster), "random" a uniform draw.
    Every later batch is the head of learner.training.run_round's ranking, exactly as a worker
    computes it; y_pool plays the annotator. The model is evaluated on (X_test, y_test) after
    every batch and never sees it otherwise. `seed` drives the cold start, the strategy's draws
    and the model's initialisation, so one seed gives one reproducible curve.

    Every strategy's curve is the `metric` (learner.metrics) of the same single classifier on the
    test split: a committee strategy's committee only chooses the items. A stateful strategy
    (auto) gets its previous round's state back, with pool rows as item ids.

    `typical` is the typicality start's first batch when the caller has it already:
    typical_start(X_pool, batch_size, seed). It depends on neither strategy nor budget, so a
    replay of many strategies clusters the pool once per seed and batch size, not once a curve.

    `X_stop` (m, d): a fixed stop set (Bloodgood and Vijay-Shanker 2009), typically unlabeled
    pool rows; after every batch the model's predicted class for each of its rows is kept in
    Curve.stop_predictions, for learner.stopping.stability_series. It changes nothing else.
    """
    y_pool, y_test = np.asarray(y_pool), np.asarray(y_test)
    n = len(X_pool)
    if len(y_pool) != n or len(y_test) != len(X_test):
        raise LearnerError(f"X and y differ in length: pool {n} vs {len(y_pool)}, test {len(X_test)} vs {len(y_test)}.")
    if batch_size < 1 or budget < batch_size:
        raise LearnerError(f"Need 1 <= batch_size <= budget, got batch_size={batch_size}, budget={budget}.")
    if start not in START_CHOICES:
        raise LearnerError(f"Unknown start {start!r}; known: {', '.join(START_CHOICES)}.")
    if typical is not None:
        _check_typical(typical, n, batch_size, start)
    elif start == "typicality":
        typical = typical_start(X_pool, batch_size, seed)
    rng = np.random.default_rng(seed)
    cold_order = _cold_order(n, typical, rng)  # also the fallback while one class is known
    labeled = cold_order[:batch_size]
    config = replace(config, seed=seed)
    labels, accuracy, arms, stop_predictions = [], [], [], []
    state = None
    for round_number in range(n):
        unlabeled = np.setdiff1d(np.arange(n), labeled, assume_unique=True)
        last = len(labeled) >= budget or len(unlabeled) == 0
        try:
            result = run_round(
                X_train=X_pool[labeled], y_train=y_pool[labeled],
                X_pool=X_pool[unlabeled[:0] if last else unlabeled], X_eval=X_test, y_eval=y_test,
                strategy=strategy, seed=seed * 100_003 + round_number, batch_size=batch_size, diverse=diverse,
                config=config, options=options, device=device, metric=metric, strategy_state=state,
                pool_ids=unlabeled, train_ids=labeled,
            )  # fmt: skip
            score = float(result.eval_score or 0.0)
            chosen = unlabeled[result.ranking.order[:batch_size]] if not last else None
            state = result.strategy_state
            if state is not None and not last:
                arms.append(state["reserve"]["arm"])  # the arm this round's batch came from
            if X_stop is not None:
                stop_predictions.append(tuple(np.asarray(result.model.predict(X_stop)).tolist()))
        except NotEnoughLabelsError:  # one class so far: a constant guess; keep to the cold-start order
            score = majority_baseline(y_pool[labeled[:1]], y_test, metric)
            chosen = cold_order[np.isin(cold_order, unlabeled)][:batch_size]
            if X_stop is not None:
                stop_predictions.append((y_pool[labeled[0]].item(),) * len(X_stop))
        labels.append(len(labeled))
        accuracy.append(score)
        if last or chosen is None:
            break
        labeled = np.concatenate([labeled, chosen[: budget - len(labeled)]])
    return Curve(strategy, start, batch_size, seed, diverse, tuple(labels), tuple(accuracy), metric, tuple(arms),
                 tuple(stop_predictions))  # fmt: skip


def full_pool_accuracy(
    X_pool: FloatArray,
    y_pool: Any,
    X_test: FloatArray,
    y_test: Any,
    *,
    seeds: int = 1,
    config: SoftmaxConfig = SoftmaxConfig(),  # noqa: B008 - frozen, safe to share
    device: str = "cpu",
    metric: str = "accuracy",
) -> float:
    """Held-out `metric` (default accuracy) of the classifier trained on every pool label, averaged
    over `seeds` initialisations: the ceiling the learning curves are measured against."""
    y_test = np.asarray(y_test)
    scores = [
        score(metric, y_test, SoftmaxClassifier(replace(config, seed=seed, metric=metric), device)
              .fit(X_pool, y_pool).predict(X_test))
        for seed in range(seeds)
    ]  # fmt: skip
    return float(np.mean(scores))


def typical_start(X_pool: FloatArray, batch_size: int, seed: int) -> IntArray:
    """The first batch of `simulate(start="typicality")`: one typical item per k-means cluster."""
    return typical_representatives(X_pool, batch_size, seed=seed)


def _check_typical(typical: IntArray, n: int, batch_size: int, start: str) -> None:
    if start != "typicality":
        raise LearnerError(f"A typical first batch was given, but the start is {start!r}.")
    picks = np.asarray(typical)
    if picks.ndim != 1 or len(picks) != min(batch_size, n) or len(np.unique(picks)) != len(picks):
        raise LearnerError(f"The typical first batch must be {min(batch_size, n)} distinct rows, got {picks.shape}.")
    if len(picks) and (picks.min() < 0 or picks.max() >= n):
        raise LearnerError(f"The typical first batch names rows outside the pool of {n}.")


def _cold_order(n: int, typical: IntArray | None, rng: np.random.Generator) -> IntArray:
    """Every pool row in cold-start order: the typical picks first (or none), then a seeded shuffle."""
    first = np.zeros(0, dtype=np.int64) if typical is None else np.asarray(typical, dtype=np.int64)
    rest = np.setdiff1d(np.arange(n), first)
    return np.concatenate([first, rng.permutation(rest)]).astype(np.int64)
