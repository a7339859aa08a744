from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from learner.exceptions import LearnerError, NotEnoughLabelsError, UnknownStrategyError
from learner.inputs import PoolInputs
from learner.models.softmax import SoftmaxClassifier, SoftmaxConfig
from learner.ranking import STRATEGY_NAMES, rank_pool
from learner.resident import PoolKey, ResidentPools
from learner.training import run_round


@pytest.fixture(scope="module")
def digits() -> dict[str, np.ndarray]:
    """sklearn digits split 200 train / 1097 pool / 500 eval; X scaled to [0, 1], labels as strings."""
    bunch = load_digits()
    order = np.random.default_rng(0).permutation(len(bunch.target))
    X, y = bunch.data[order] / 16.0, bunch.target[order].astype(str)
    return {
        "X_train": X[:200], "y_train": y[:200],
        "X_pool": X[200:1297], "y_pool": y[200:1297],
        "X_eval": X[1297:], "y_eval": y[1297:],
    }  # fmt: skip


def test_round_on_digits_learns_and_scores_the_pool(digits: dict[str, np.ndarray]) -> None:
    result = run_round(
        X_train=digits["X_train"], y_train=digits["y_train"], X_pool=digits["X_pool"],
        X_eval=digits["X_eval"], y_eval=digits["y_eval"], strategy="entropy", seed=0, device="cpu",
    )  # fmt: skip
    assert isinstance(result.model, SoftmaxClassifier)
    assert result.n_train == 200
    assert result.eval_accuracy is not None and result.eval_accuracy > 0.85
    assert result.pool_scores.shape == (1097,) and result.pool_scores.dtype == np.float64
    assert np.all(np.isfinite(result.pool_scores))
    wrong = result.model.predict(digits["X_pool"]) != digits["y_pool"]
    assert wrong.any()
    # Uncertainty sampling earns its keep: the rows the model gets wrong score higher.
    assert result.pool_scores[wrong].mean() > 2 * result.pool_scores[~wrong].mean()


def test_random_strategy_is_reproducible(digits: dict[str, np.ndarray]) -> None:
    kwargs: dict[str, Any] = {k: digits[k][:60] for k in ("X_train", "y_train", "X_pool", "X_eval", "y_eval")}
    first = run_round(**kwargs, strategy="random", seed=11, device="cpu")
    second = run_round(**kwargs, strategy="random", seed=11, device="cpu")
    np.testing.assert_array_equal(first.pool_scores, second.pool_scores)
    np.testing.assert_array_equal(first.pool_scores, np.random.default_rng(11).random(60))


def test_unknown_strategy_raises_before_any_training() -> None:
    one_class: dict[str, Any] = {"X_train": np.zeros((3, 2)), "y_train": np.array(["a", "a", "a"])}  # fit would fail
    with pytest.raises(UnknownStrategyError, match="'bogus'"):
        run_round(**one_class, X_pool=np.zeros((1, 2)), X_eval=np.zeros((0, 2)), y_eval=np.array([]),
                  strategy="bogus", seed=0, device="cpu")  # fmt: skip
    with pytest.raises(NotEnoughLabelsError):
        run_round(**one_class, X_pool=np.zeros((1, 2)), X_eval=np.zeros((0, 2)), y_eval=np.array([]),
                  strategy="margin", seed=0, device="cpu")  # fmt: skip


def test_empty_pool_and_no_eval_rows(digits: dict[str, np.ndarray]) -> None:
    result = run_round(
        X_train=digits["X_train"][:50], y_train=digits["y_train"][:50], X_pool=np.zeros((0, 64)),
        X_eval=np.zeros((0, 64)), y_eval=np.array([], dtype=object), strategy="margin", seed=0, device="cpu",
    )  # fmt: skip
    assert result.pool_scores.shape == (0,)
    assert result.eval_accuracy is None
    assert result.n_train == 50


def test_a_model_factory_replaces_the_default_head(digits: dict[str, np.ndarray]) -> None:
    built: list[str] = []

    def model(device: str) -> SoftmaxClassifier:
        built.append(device)
        return SoftmaxClassifier(SoftmaxConfig(epochs=5, validation_fraction=0.0), device=device)

    result = run_round(
        X_train=digits["X_train"], y_train=digits["y_train"], X_pool=digits["X_pool"][:50],
        X_eval=digits["X_eval"], y_eval=digits["y_eval"], strategy="coreset", seed=0, device="cpu", model=model,
    )  # fmt: skip
    assert built == ["cpu"] and result.model.epochs_ == 5


def test_committee_strategies_refuse_a_model_factory(digits: dict[str, np.ndarray]) -> None:
    with pytest.raises(LearnerError, match="'vote_entropy' trains a committee"):
        run_round(
            X_train=digits["X_train"], y_train=digits["y_train"], X_pool=digits["X_pool"], X_eval=digits["X_eval"],
            y_eval=digits["y_eval"], strategy="vote_entropy", seed=0, device="cpu",
            model=lambda device: SoftmaxClassifier(device=device),
        )  # fmt: skip


class _CountingClassifier(SoftmaxClassifier):
    """Counts the rows it is asked to embed."""

    embedded_rows = 0

    def embed(self, X: Any) -> Any:
        type(self).embedded_rows += len(X)
        return super().embed(X)


def test_batch_diversity_embeds_only_its_shortlist_and_picks_the_same_batch(digits: dict[str, np.ndarray]) -> None:
    _CountingClassifier.embedded_rows = 0
    result = run_round(
        X_train=digits["X_train"], y_train=digits["y_train"], X_pool=digits["X_pool"],
        X_eval=digits["X_eval"], y_eval=digits["y_eval"], strategy="margin", seed=3, batch_size=10, device="cpu",
        model=lambda device: _CountingClassifier(SoftmaxConfig(), device),
    )  # fmt: skip
    # The labeled rows once (200), the top 10 * 10 by margin once; not the 1,097 pool rows.
    assert _CountingClassifier.embedded_rows == 200 + 100

    model = result.model  # the same fitted head, now with every pool row embedded up front
    everything = PoolInputs(probs=model.predict_proba(digits["X_pool"]), embeddings=model.embed(digits["X_pool"]),
                            labeled_embeddings=model.embed(digits["X_train"]))  # fmt: skip
    reference = rank_pool("margin", everything, batch_size=10, rng=np.random.default_rng(3), device=torch.device("cpu"))
    np.testing.assert_array_equal(result.ranking.order[:10], reference.order[:10])


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_every_strategy_runs_a_whole_round_without_bouncing_tensors_through_numpy(
    digits: dict[str, np.ndarray], strategy: str, tensors_stay_on_device: None
) -> None:
    # A round mixes numpy probabilities with device embeddings; on CUDA any np.asarray of a tensor
    # raises. The fixture makes it raise on CPU too, so CI sees what a GPU worker would.
    result = run_round(
        X_train=digits["X_train"][:100], y_train=digits["y_train"][:100], X_pool=digits["X_pool"][:300],
        X_eval=digits["X_eval"][:50], y_eval=digits["y_eval"][:50], strategy=strategy, seed=0, batch_size=10,
        config=SoftmaxConfig(epochs=20, validation_fraction=0.0, members=3), device="cpu",
    )  # fmt: skip
    order, scores = result.ranking.order, result.ranking.scores
    assert isinstance(order, np.ndarray) and order.dtype == np.int64
    assert sorted(order.tolist()) == list(range(300))
    assert isinstance(scores, np.ndarray) and scores.shape == (300,) and scores.dtype == np.float64


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_numpy_probs_with_device_embeddings_rank_like_all_numpy(strategy: str, tensors_stay_on_device: None) -> None:
    rng = np.random.default_rng(0)
    committee = rng.dirichlet(np.ones(3), size=(4, 80))  # (4, 80, 3)
    embeddings, labeled = rng.normal(size=(80, 6)), rng.normal(size=(5, 6))
    head = {"head_weight": rng.normal(size=(3, 6)), "head_bias": rng.normal(size=3)}  # numpy, as from a host model
    mixed = PoolInputs(probs=committee.mean(axis=0), committee_probs=torch.as_tensor(committee),
                       embeddings=torch.as_tensor(embeddings), labeled_embeddings=torch.as_tensor(labeled),
                       **head)  # fmt: skip
    plain = PoolInputs(probs=committee.mean(axis=0), committee_probs=committee, embeddings=embeddings,
                       labeled_embeddings=labeled, **head)  # fmt: skip
    cpu = torch.device("cpu")
    got = rank_pool(strategy, mixed, batch_size=8, rng=np.random.default_rng(1), device=cpu)
    want = rank_pool(strategy, plain, batch_size=8, rng=np.random.default_rng(1), device=cpu)
    np.testing.assert_array_equal(got.order, want.order)
    np.testing.assert_allclose(got.scores, want.scores, rtol=1e-12)


def test_a_resident_pool_ranks_like_a_host_pool_and_loads_once(
    digits: dict[str, np.ndarray], tensors_stay_on_device: None
) -> None:
    everything = np.concatenate([digits["X_pool"], digits["X_eval"]])  # the whole embedding set
    rows = np.arange(0, len(digits["X_pool"]), 2)  # this round's pool: every other pool row
    loads: list[int] = []

    def load() -> np.ndarray:
        loads.append(1)
        return everything

    pools = ResidentPools()
    common: dict[str, Any] = dict(X_train=digits["X_train"], y_train=digits["y_train"], X_eval=digits["X_eval"],
                                  y_eval=digits["y_eval"], strategy="margin", seed=0, device="cpu")  # fmt: skip
    expected = run_round(X_pool=digits["X_pool"][rows], **common)
    for _ in range(2):
        got = run_round(X_pool=load, pool_key=PoolKey("digits", 1), pool_rows=rows, resident=pools, **common)
        np.testing.assert_array_equal(got.ranking.order, expected.ranking.order)
        np.testing.assert_allclose(got.pool_scores, expected.pool_scores, rtol=1e-12)
    assert len(loads) == 1 and pools.hits == 1
    run_round(X_pool=load, pool_key=PoolKey("digits", 2), pool_rows=rows, resident=pools, **common)
    assert len(loads) == 2  # a new generation of the set is loaded again


def test_out_of_memory_in_a_resident_round_drops_the_pools_and_runs_from_the_host(
    digits: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    import learner.training

    real, seen = learner.training._run_round, []

    def first_call_runs_out(**kwargs: Any) -> Any:
        seen.append(type(kwargs["X_pool"]))
        if len(seen) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return real(**kwargs)

    monkeypatch.setattr(learner.training, "_run_round", first_call_runs_out)
    pools = ResidentPools()
    result = run_round(X_train=digits["X_train"], y_train=digits["y_train"], X_pool=digits["X_pool"],
                       X_eval=digits["X_eval"], y_eval=digits["y_eval"], strategy="entropy", seed=0, device="cpu",
                       pool_key=PoolKey("digits", 1), resident=pools)  # fmt: skip
    assert seen == [torch.Tensor, np.ndarray] and len(pools) == 0
    assert result.pool_scores.shape == (len(digits["X_pool"]),)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_every_strategy_runs_a_whole_round_on_cuda(digits: dict[str, np.ndarray], strategy: str) -> None:
    # The crash the issue found: numpy probabilities meeting device embeddings inside a round.
    common: dict[str, Any] = dict(
        X_train=digits["X_train"], y_train=digits["y_train"], X_pool=digits["X_pool"], X_eval=digits["X_eval"],
        y_eval=digits["y_eval"], strategy=strategy, seed=0, batch_size=10, device="cuda",
    )  # fmt: skip
    for extra in ({}, {"pool_key": PoolKey("digits", 0), "resident": ResidentPools()}):
        result = run_round(**common, **extra)
        assert sorted(result.ranking.order.tolist()) == list(range(len(digits["X_pool"])))
        assert result.eval_accuracy is not None and result.eval_accuracy > 0.8
