import numpy as np
import pytest
import torch

from learner.arrays import to_numpy
from learner.exceptions import LearnerError, UnknownStrategyError
from learner.inputs import PoolInputs
from learner.strategies import STRATEGIES, StrategyOptions, get_strategy

RNG_SEED = 0
OPTIONS = StrategyOptions(density_reference_size=16)  # smaller than the pool: the sampled path too


def inputs(n: int = 40, as_torch: bool = False) -> PoolInputs:
    rng = np.random.default_rng(0)
    committee = rng.dirichlet(np.ones(3), size=(4, n))  # (4, n, 3)
    emb = rng.normal(size=(n, 6))
    fields = {"probs": committee.mean(axis=0), "committee_probs": committee, "embeddings": emb,
              "head_weight": rng.normal(size=(3, 6)), "head_bias": rng.normal(size=3)}  # fmt: skip
    if as_torch:
        fields = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in fields.items()}
    return PoolInputs(**fields)


def test_the_registry_offers_every_scoring_family() -> None:
    assert set(STRATEGIES) == {
        "least_confidence", "margin", "entropy", "vote_entropy", "consensus_entropy", "max_disagreement",
        "bald", "kl_consensus", "density_entropy", "expected_gradient_length", "mc_bald", "random",
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_scores_each_pool_item_from_what_it_declares(name: str) -> None:
    strategy = STRATEGIES[name]
    full = inputs()
    only_needed = PoolInputs(**{field: getattr(full, field) for field in strategy.needs})
    scores = np.asarray(strategy.score(only_needed, np.random.default_rng(RNG_SEED), torch.device("cpu"), OPTIONS))
    assert scores.shape == (40,) and np.all(np.isfinite(scores))
    again = np.asarray(strategy.score(only_needed, np.random.default_rng(RNG_SEED), torch.device("cpu"), OPTIONS))
    np.testing.assert_array_equal(scores, again)  # deterministic given the seed


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_numpy_and_torch_inputs_give_the_same_scores(name: str) -> None:
    device = torch.device("cpu")
    from_numpy = np.asarray(STRATEGIES[name].score(inputs(), np.random.default_rng(1), device, OPTIONS))
    from_torch = STRATEGIES[name].score(inputs(as_torch=True), np.random.default_rng(1), device, OPTIONS)
    np.testing.assert_allclose(np.asarray(from_torch, dtype=np.float64), from_numpy, rtol=1e-4, atol=1e-5)


def test_unknown_strategy_names_the_bad_name_and_the_known_ones() -> None:
    with pytest.raises(UnknownStrategyError) as caught:
        get_strategy("magic")
    message = str(caught.value)
    assert "'magic'" in message and "bald" in message and "entropy" in message
    assert isinstance(caught.value, LearnerError)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_cuda_scores_what_cpu_scores(name: str) -> None:
    pool = inputs(n=5000, as_torch=True)
    fields = ("probs", "committee_probs", "embeddings", "head_weight", "head_bias")
    on_cuda = PoolInputs(**{f: getattr(pool, f).cuda() for f in fields})
    cpu = STRATEGIES[name].score(pool, np.random.default_rng(0), torch.device("cpu"), OPTIONS)
    cuda = STRATEGIES[name].score(on_cuda, np.random.default_rng(0), torch.device("cuda"), OPTIONS)
    assert cuda.device.type == "cuda"
    np.testing.assert_allclose(cuda.cpu().numpy(), np.asarray(cpu), rtol=1e-4, atol=1e-5)


def test_density_beta_trades_uncertainty_for_typicality() -> None:
    pool, rng, cpu = inputs(), np.random.default_rng, torch.device("cpu")
    density = STRATEGIES["density_entropy"]
    entropy_only = density.score(pool, rng(0), cpu, StrategyOptions(density_beta=0.0))
    np.testing.assert_allclose(entropy_only, STRATEGIES["entropy"].score(pool, rng(0), cpu, OPTIONS), rtol=1e-12)
    weighted = density.score(pool, rng(0), cpu, StrategyOptions(density_beta=3.0))
    assert not np.allclose(weighted / entropy_only, (weighted / entropy_only)[0])  # density now matters per item


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_mixed_numpy_and_tensor_inputs_score_where_the_tensors_live(name: str, tensors_stay_on_device: None) -> None:
    # A round's mix: probabilities from the host, committee and embeddings already on the device.
    plain = inputs()
    mixed = PoolInputs(probs=plain.probs, committee_probs=torch.as_tensor(plain.committee_probs),
                       embeddings=torch.as_tensor(plain.embeddings), head_weight=plain.head_weight,
                       head_bias=plain.head_bias)  # fmt: skip
    strategy, cpu = STRATEGIES[name], torch.device("cpu")
    got = strategy.score(mixed, np.random.default_rng(1), cpu, OPTIONS)
    want = strategy.score(plain, np.random.default_rng(1), cpu, OPTIONS)
    reads_a_tensor = any(isinstance(getattr(mixed, field), torch.Tensor) for field in strategy.needs)
    assert isinstance(got, torch.Tensor) == reads_a_tensor
    got_values = to_numpy(got) if isinstance(got, torch.Tensor) else got
    np.testing.assert_allclose(got_values, want, rtol=1e-6, atol=1e-9)


def test_random_scores_are_a_tensor_on_the_device_for_tensor_inputs() -> None:
    pool = inputs(as_torch=True)
    scores = STRATEGIES["random"].score(pool, np.random.default_rng(5), torch.device("cpu"), OPTIONS)
    assert isinstance(scores, torch.Tensor) and scores.dtype == torch.float64
    np.testing.assert_array_equal(scores.numpy(), np.random.default_rng(5).random(40))
