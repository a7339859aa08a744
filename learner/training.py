"""One active-learning round: fit on the labels so far, rank the unlabeled pool, evaluate.

This is the whole of what the Celery task calls; it takes arrays and returns arrays, so it
runs the same in a worker, a test or a notebook. Persisting the ranking is the caller's job.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from learner.batch.distances import take_rows
from learner.device import resolve_device
from learner.exceptions import LearnerError
from learner.inputs import EmbeddingsOnDemand, PoolInputs
from learner.models.committee import SoftmaxCommittee
from learner.models.softmax import SoftmaxClassifier, SoftmaxConfig
from learner.ranking import PoolRanking, rank_pool, strategy_needs
from learner.resident import RESIDENT_POOLS, PoolKey, ResidentPools
from learner.strategies import StrategyOptions
from learner.types import FloatArray, IntArray


@dataclass(frozen=True)
class RoundResult:
    model: SoftmaxClassifier
    ranking: PoolRanking  # the pool's order: ranking.order[:batch_size] is the next batch
    eval_accuracy: float | None  # fraction of eval rows predicted right; None when there are none
    n_train: int  # labeled rows the model was fitted on

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
    pool_key: PoolKey | None = None,
    pool_rows: IntArray | None = None,
    resident: ResidentPools | None = None,
) -> RoundResult:
    """Fit on (X_train (n_train, d), y_train (n_train,)), rank X_pool (n_pool, d) with `strategy`.

    The strategy name is checked before training, so a bad name costs nothing. Committee
    strategies train a SoftmaxCommittee (its consensus is the model); the others one head.
    `seed` drives the strategy's rng; `config.seed` the model's initialisation and
    `config.members` the committee size; `options` tune the scorer (e.g. density beta).
    `model`, when given, builds the classifier from the device instead (e.g. a LastBlockClassifier
    on prefix maps); committee strategies need a committee of heads, so they refuse it: callers
    with such a strategy pass frozen embeddings and no `model`.

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
    )  # fmt: skip
    if pool_key is None:
        return _run_round(X_pool=X_pool if pool_rows is None else take_rows(X_pool, pool_rows), **kwargs)
    strategy_needs(strategy, diverse=diverse)  # UnknownStrategyError before anything is loaded
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
) -> RoundResult:
    needs = strategy_needs(strategy, diverse=diverse)  # UnknownStrategyError before any training
    if len(y_eval) != len(X_eval):
        raise LearnerError(f"X_eval has {len(X_eval)} rows but y_eval has {len(y_eval)} labels.")
    torch_device = resolve_device(device)
    if model is not None and "committee_probs" in needs:
        raise LearnerError(f"Strategy {strategy!r} trains a committee of heads; it takes no custom model.")
    if model is not None and "head_weight" in needs:
        raise LearnerError(f"Strategy {strategy!r} trains its own head with dropout; it takes no custom model.")
    if model is not None:
        classifier = model(device)
    elif "committee_probs" in needs:
        classifier = SoftmaxCommittee(replace(config, hidden=0), device=device)
    elif "head_weight" in needs:  # MC dropout samples the dropout the head was trained with
        classifier = SoftmaxClassifier(replace(config, dropout=options.mc_dropout), device=device)
    else:
        classifier = SoftmaxClassifier(config, device=device)
    classifier.fit(X_train, y_train)
    rng = np.random.default_rng(seed)
    if len(X_pool):
        inputs = PoolInputs(
            probs=classifier.predict_proba_tensor(X_pool),  # cheap, on the device, tells every strategy n
            committee_probs=(
                classifier.predict_proba_members(X_pool) if isinstance(classifier, SoftmaxCommittee) else None
            ),
            embeddings=_pool_embeddings(classifier, X_pool, strategy, needs),
            labeled_embeddings=classifier.embed(X_train) if "embeddings" in needs else None,
            **(_output_layer(classifier) if "head_weight" in needs else {}),
        )
        ranking = rank_pool(strategy, inputs, batch_size=batch_size, rng=rng, device=torch_device, diverse=diverse,
                             options=options)
    else:
        ranking = PoolRanking(order=np.zeros(0, dtype=np.int64), scores=np.zeros(0))
    accuracy = float(np.mean(classifier.predict(X_eval) == np.asarray(y_eval))) if len(X_eval) else None
    return RoundResult(model=classifier, ranking=ranking, eval_accuracy=accuracy, n_train=len(y_train))


def _pool_embeddings(classifier: SoftmaxClassifier, X_pool: FloatArray, strategy: str, needs: frozenset[str]) -> Any:
    """Every row's embedding when the strategy reads every row; only the rows that batch
    diversity shortlists when it alone needs them (EmbeddingsOnDemand); None otherwise."""
    if "embeddings" not in needs:
        return None
    if "embeddings" in strategy_needs(strategy, diverse=False):
        return classifier.embed(X_pool)
    return EmbeddingsOnDemand(rows=lambda index: classifier.embed(take_rows(X_pool, index)), n=len(X_pool))


def _output_layer(classifier: SoftmaxClassifier) -> dict[str, Any]:
    """The fitted head's output layer as PoolInputs fields: weight (c, d) and bias (c,), on its device."""
    out = classifier.module_.get_submodule("out") if classifier.module_ is not None else None
    if not isinstance(out, nn.Linear):
        raise LearnerError("MC dropout needs a fitted classifier whose output layer `out` is an nn.Linear.")
    return {"head_weight": out.weight.detach(), "head_bias": out.bias.detach()}
