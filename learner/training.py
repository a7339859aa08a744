"""One active-learning round: fit on the labels so far, rank the unlabeled pool, evaluate.

This is the whole of what the Celery task calls; it takes arrays and returns arrays, so it
runs the same in a worker, a test or a notebook. Persisting the ranking is the caller's job.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from learner.auto import AutoHistory
from learner.batch.distances import take_rows
from learner.device import resolve_device
from learner.exceptions import LearnerError
from learner.inputs import EmbeddingsOnDemand, PoolInputs
from learner.metrics import check_metric, majority_baseline, score
from learner.models.committee import SoftmaxCommittee
from learner.models.softmax import SoftmaxClassifier, SoftmaxConfig
from learner.ranking import PoolRanking, get_entry, rank_pool
from learner.resident import RESIDENT_POOLS, PoolKey, ResidentPools
from learner.strategies import StrategyOptions
from learner.types import FloatArray, IntArray


@dataclass(frozen=True)
class RoundResult:
    model: SoftmaxClassifier  # the single classifier; a committee strategy's committee only chose the items
    ranking: PoolRanking  # the pool's order: ranking.order[:batch_size] is the next batch
    eval_accuracy: float | None  # fraction of eval rows predicted right; None when there are none
    n_train: int  # labeled rows the model was fitted on
    metric: str = "accuracy"  # the yardstick of eval_score (learner.metrics)
    eval_score: float | None = None  # `metric` on the eval rows; None when there are none
    majority_score: float | None = None  # `metric` of always answering the majority training class
    committee_eval_accuracy: float | None = None  # the committee's consensus, for committee strategies

    @property
    def strategy_state(self) -> dict[str, Any] | None:
        """What a stateful strategy (auto) hands to the next round as `strategy_state`."""
        return self.ranking.state

    @property
    def pool_scores(self) -> FloatArray:
        """(n_pool,) float64, higher = ask first."""
        return self.ranking.scores


def run_round(
    *,
    X_train: FloatArray,
    y_train: Any,
    X_pool: Any,
    X_eval: FloatArray,
    y_eval: Any,
    strategy: str,
    seed: int,
    batch_size: int = 20,
    diverse: bool = True,
    config: SoftmaxConfig = SoftmaxConfig(),  # noqa: B008 - frozen, safe to share
    options: StrategyOptions = StrategyOptions(),  # noqa: B008 - frozen, safe to share
    device: str = "auto",
    model: Callable[[str], SoftmaxClassifier] | None = None,
    metric: str = "accuracy",
    strategy_state: Mapping[str, Any] | None = None,
    pool_ids: IntArray | None = None,
    train_ids: IntArray | None = None,
    pool_key: PoolKey | None = None,
    pool_rows: IntArray | None = None,
    resident: ResidentPools | None = None,
) -> RoundResult:
    """Fit on (X_train (n_train, d), y_train (n_train,)), rank X_pool (n_pool, d) with `strategy`.

    The strategy name is checked before training, so a bad name costs nothing. `seed` drives the
    strategy's rng; `config.seed` the model's initialisation and `config.members` the committee
    size; `options` tune the scorer (e.g. density beta). `model`, when given, builds the
    classifier from the device instead (e.g. a LastBlockClassifier on prefix maps); committee and
    MC-dropout strategies train heads of their own, so they refuse it: callers with such a
    strategy pass frozen embeddings and no `model`. Every strategy's model, the one returned and
    evaluated, is the same single classifier; a committee only chooses the items (its consensus
    is reported as committee_eval_accuracy).

    `metric` is the yardstick (eval_score, majority_score, and the class weighting the head
    chooses on its validation split). A stateful strategy (auto) reads `strategy_state`, the
    previous round's `result.strategy_state`, with `pool_ids` (n_pool,) and `train_ids` (n_train,):
    stable item ids, so it finds the items it drew last round (default: row numbers).

    Resident pools: with `pool_key`, X_pool is the whole embedding set that key names (N, d), or
    a callable loading it, kept on the device between rounds (`resident`, by default the
    process's learner.resident.RESIDENT_POOLS; loaded only when the key or its generation is
    new), and `pool_rows` (n_pool,) picks this round's pool from it on the device (all rows when
    None). If the device runs out of memory the resident pools are dropped and the round runs
    once more from the host array.
    """
    kwargs: dict[str, Any] = dict(
        X_train=X_train, y_train=y_train, X_eval=X_eval, y_eval=y_eval, strategy=strategy, seed=seed,
        batch_size=batch_size, diverse=diverse, config=config, options=options, device=device, model=model,
        metric=metric, strategy_state=strategy_state, pool_ids=pool_ids, train_ids=train_ids,
    )  # fmt: skip
    if pool_key is None:
        return _run_round(X_pool=X_pool if pool_rows is None else take_rows(X_pool, pool_rows), **kwargs)
    get_entry(strategy)  # UnknownStrategyError before anything is loaded
    pools = RESIDENT_POOLS if resident is None else resident
    load = X_pool if callable(X_pool) else (lambda: X_pool)
    matrix = pools.get(pool_key, load, resolve_device(device))
    try:
        return _run_round(X_pool=matrix if pool_rows is None else take_rows(matrix, pool_rows), **kwargs)
    except torch.OutOfMemoryError:
        pools.clear()  # outside this block the failed round's frames (and their tensors) are gone too
    del matrix
    host = load()
    return _run_round(X_pool=host if pool_rows is None else take_rows(host, pool_rows), **kwargs)


def _run_round(
    *,
    X_train: FloatArray,
    y_train: Any,
    X_pool: Any,
    X_eval: FloatArray,
    y_eval: Any,
    strategy: str,
    seed: int,
    batch_size: int,
    diverse: bool,
    config: SoftmaxConfig,
    options: StrategyOptions,
    device: str,
    model: Callable[[str], SoftmaxClassifier] | None,
    metric: str,
    strategy_state: Mapping[str, Any] | None,
    pool_ids: IntArray | None,
    train_ids: IntArray | None,
) -> RoundResult:
    entry = get_entry(strategy)  # UnknownStrategyError before any training
    needs = entry.needs_with(diverse=diverse)
    check_metric(metric)
    if len(y_eval) != len(X_eval):
        raise LearnerError(f"X_eval has {len(X_eval)} rows but y_eval has {len(y_eval)} labels.")
    torch_device = resolve_device(device)
    if model is not None and entry.trains_committee:
        raise LearnerError(f"Strategy {strategy!r} trains a committee of heads; it takes no custom model.")
    if model is not None and "head_weight" in needs:
        raise LearnerError(f"Strategy {strategy!r} trains its own head with dropout; it takes no custom model.")
    config = replace(config, metric=metric)
    if model is not None:
        classifier = model(device)
    elif "head_weight" in needs:  # MC dropout samples the dropout the head was trained with
        classifier = SoftmaxClassifier(replace(config, dropout=options.mc_dropout), device=device)
    else:
        classifier = SoftmaxClassifier(config, device=device)
    classifier.fit(X_train, y_train)
    chooser: SoftmaxClassifier = classifier
    if entry.trains_committee:
        chooser = SoftmaxCommittee(replace(config, hidden=0), device=device).fit(X_train, y_train)
    rng = np.random.default_rng(seed)
    if len(X_pool):
        inputs = PoolInputs(
            probs=chooser.predict_proba_tensor(X_pool),  # cheap, on the device, tells every strategy n
            committee_probs=chooser.predict_proba_members(X_pool) if isinstance(chooser, SoftmaxCommittee) else None,
            embeddings=_pool_embeddings(chooser, X_pool, needs, every_row="embeddings" in entry.needs),
            labeled_embeddings=chooser.embed(X_train) if "embeddings" in needs else None,
            **(_output_layer(chooser) if "head_weight" in needs else {}),
        )
        history = None
        if entry.stateful:
            history = AutoHistory(
                state=strategy_state, pool_ids=np.arange(len(X_pool)) if pool_ids is None else np.asarray(pool_ids),
                labeled_ids=np.arange(len(X_pool), len(X_pool) + len(y_train)) if train_ids is None
                else np.asarray(train_ids),
                labeled_y=np.asarray(y_train), classes=chooser.classes_, metric=metric,
            )  # fmt: skip
        ranking = rank_pool(strategy, inputs, batch_size=batch_size, rng=rng, device=torch_device, diverse=diverse,
                            options=options, history=history)  # fmt: skip
    else:
        kept = dict(strategy_state) if strategy_state is not None else None  # nothing to rank: the state stands
        ranking = PoolRanking(order=np.zeros(0, dtype=np.int64), scores=np.zeros(0), state=kept)
    if not len(X_eval):
        return RoundResult(model=classifier, ranking=ranking, eval_accuracy=None, n_train=len(y_train), metric=metric)
    truth, predicted = np.asarray(y_eval), classifier.predict(X_eval)
    return RoundResult(
        model=classifier, ranking=ranking, eval_accuracy=float(np.mean(predicted == truth)), n_train=len(y_train),
        metric=metric, eval_score=score(metric, truth, predicted),
        majority_score=majority_baseline(y_train, truth, metric),
        committee_eval_accuracy=float(np.mean(chooser.predict(X_eval) == truth)) if chooser is not classifier else None,
    )  # fmt: skip


def _pool_embeddings(classifier: SoftmaxClassifier, X_pool: Any, needs: frozenset[str], *, every_row: bool) -> Any:
    """Every row's embedding when the strategy itself reads every row; only the rows that batch
    diversity shortlists when diversity alone needs them (EmbeddingsOnDemand); None otherwise."""
    if "embeddings" not in needs:
        return None
    if every_row:
        return classifier.embed(X_pool)
    return EmbeddingsOnDemand(rows=lambda index: classifier.embed(take_rows(X_pool, index)), n=len(X_pool))


def _output_layer(classifier: SoftmaxClassifier) -> dict[str, Any]:
    """The fitted head's output layer as PoolInputs fields: weight (c, d) and bias (c,), on its device."""
    out = classifier.module_.get_submodule("out") if classifier.module_ is not None else None
    if not isinstance(out, nn.Linear):
        raise LearnerError("MC dropout needs a fitted classifier whose output layer `out` is an nn.Linear.")
    return {"head_weight": out.weight.detach(), "head_bias": out.bias.detach()}
