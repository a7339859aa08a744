import numpy as np
import pytest
import torch

from learner.arrays import to_numpy
from learner.exceptions import LearnerError
from learner.strategies import bald
from learner.strategies.mc_dropout import dropout_masks, fused_weights, mc_bald, mc_dropout_probs


def entropy(p: np.ndarray) -> float:
    return float(-(p * np.log(p)).sum())


def test_two_passes_on_one_feature_known_answer() -> None:
    # One feature, two classes: logit_0 = z * x, logit_1 = 0. The first pass keeps the feature
    # (inverted dropout at rate 0.5 doubles it), the second drops it.
    x = np.array([[np.log(3) / 2]])  # (1, 1)
    weight, bias = np.array([[1.0], [0.0]]), np.zeros(2)  # (c=2, d=1), (2,)
    masks = np.array([[2.0], [0.0]])  # (T=2, d=1)
    kept, dropped = np.array([0.75, 0.25]), np.array([0.5, 0.5])  # softmax(ln 3, 0), softmax(0, 0)
    expected = entropy((kept + dropped) / 2) - (entropy(kept) + entropy(dropped)) / 2
    np.testing.assert_allclose(mc_bald(x, weight, bias, masks, device="cpu"), [expected], rtol=1e-6)
    probs = to_numpy(mc_dropout_probs(x, weight, bias, masks, device="cpu"))  # (T, n, c)
    np.testing.assert_allclose(probs[:, 0], [kept, dropped], rtol=1e-6)


def test_no_dropout_means_no_disagreement() -> None:
    rng = np.random.default_rng(0)
    masks = dropout_masks(20, 5, 0.0, rng)
    assert np.all(masks == 1.0)
    scores = mc_bald(rng.normal(size=(30, 5)), rng.normal(size=(4, 5)), rng.normal(size=4), masks, device="cpu")
    np.testing.assert_allclose(scores, 0.0, atol=1e-6)


def test_masks_are_inverted_dropout_drawn_from_the_rng() -> None:
    masks = dropout_masks(4000, 8, 0.25, np.random.default_rng(1))
    np.testing.assert_allclose(np.unique(masks), [0.0, 4 / 3], rtol=1e-7)  # float32 4/3
    assert abs(float((masks == 0).mean()) - 0.25) < 0.01 and abs(float(masks.mean()) - 1.0) < 0.01
    np.testing.assert_array_equal(masks, dropout_masks(4000, 8, 0.25, np.random.default_rng(1)))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("chunk_rows", [None, 7])
def test_fused_passes_equal_the_committee_bald_of_the_separate_passes(seed: int, chunk_rows: int | None) -> None:
    rng = np.random.default_rng(seed)
    n, d, c, passes = 50, 12, 5, 20
    h, weight, bias = rng.normal(size=(n, d)).astype(np.float32), rng.normal(size=(c, d)), rng.normal(size=c)
    masks = dropout_masks(passes, d, 0.5, rng)
    separate = mc_dropout_probs(h, weight, bias, masks, device="cpu")  # (T, n, c), T passes one by one
    fused = mc_bald(h, weight, bias, masks, device="cpu", chunk_rows=chunk_rows)
    np.testing.assert_allclose(fused, to_numpy(bald(separate, device="cpu")), rtol=1e-4, atol=1e-6)
    assert fused.shape == (n,) and fused.dtype == np.float64 and np.all(fused >= 0)


def test_the_fused_layer_is_the_masked_layers_side_by_side() -> None:
    rng = np.random.default_rng(2)
    weight, bias, masks = rng.normal(size=(3, 4)), rng.normal(size=3), dropout_masks(5, 4, 0.5, rng)
    flat, flat_bias = fused_weights(weight, bias, masks, torch.device("cpu"))
    assert flat.shape == (4, 15) and flat_bias.shape == (15,)
    for t in range(5):
        np.testing.assert_allclose(to_numpy(flat[:, 3 * t : 3 * t + 3]), (weight * masks[t]).T, rtol=1e-6)


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_half_precision_embeddings_score_like_float32(half: torch.dtype, tensors_stay_on_device: None) -> None:
    rng = np.random.default_rng(3)
    h = torch.from_numpy(rng.normal(size=(200, 16)).astype(np.float32)).to(half)
    weight, bias = torch.as_tensor(rng.normal(size=(4, 16))), torch.as_tensor(rng.normal(size=4))
    masks = torch.as_tensor(dropout_masks(10, 16, 0.5, rng))
    got = mc_bald(h, weight, bias, masks, device="cpu")
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float32
    torch.testing.assert_close(got, mc_bald(h.float(), weight, bias, masks, device="cpu"), rtol=1e-5, atol=1e-6)


def test_bad_inputs_raise() -> None:
    with pytest.raises(LearnerError, match="passes"):
        dropout_masks(0, 3, 0.5, np.random.default_rng(0))
    with pytest.raises(LearnerError, match="rate"):
        dropout_masks(2, 3, 1.0, np.random.default_rng(0))
    with pytest.raises(LearnerError, match="disagree"):
        mc_bald(np.zeros((2, 3)), np.zeros((2, 4)), None, np.ones((2, 3)), device="cpu")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_cuda_scores_what_cpu_scores(dtype: torch.dtype) -> None:
    rng = np.random.default_rng(4)
    h = torch.from_numpy(rng.normal(size=(20_000, 64)).astype(np.float32)).to(dtype)
    weight, bias = torch.as_tensor(rng.normal(size=(10, 64)) * 0.1), torch.as_tensor(rng.normal(size=10))
    masks = torch.as_tensor(dropout_masks(20, 64, 0.5, rng))
    cpu = mc_bald(h.float(), weight, bias, masks, device="cpu")
    cuda = mc_bald(h.cuda(), weight.cuda(), bias.cuda(), masks.cuda(), device="cuda")
    assert cuda.device.type == "cuda"
    tolerance = {torch.float32: 1e-4, torch.float16: 2e-3, torch.bfloat16: 2e-2}[dtype]  # weights rounded to dtype
    torch.testing.assert_close(cuda.cpu(), cpu, rtol=tolerance, atol=tolerance)
