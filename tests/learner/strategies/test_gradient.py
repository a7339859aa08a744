import numpy as np
import pytest
import torch

from learner.exceptions import LearnerError
from learner.strategies import expected_gradient_length


def autograd_egl(probs_logits_layer: torch.nn.Linear, h: torch.Tensor) -> np.ndarray:
    """The definition, slowly: for each item and each label y, the real gradient norm, weighted by p_y."""
    out = []
    for row in h:
        logits = probs_logits_layer(row[None])  # (1, c)
        p = torch.softmax(logits, dim=1)[0].detach()
        total = 0.0
        for y in range(len(p)):
            probs_logits_layer.zero_grad()
            torch.nn.functional.cross_entropy(probs_logits_layer(row[None]), torch.tensor([y])).backward()
            grads = [probs_logits_layer.weight.grad, probs_logits_layer.bias.grad]
            total += float(p[y]) * float(torch.sqrt(sum(g.square().sum() for g in grads)))
        out.append(total)
    return np.array(out)


def test_matches_autograd_gradient_norms_of_a_softmax_layer() -> None:
    torch.manual_seed(0)
    layer = torch.nn.Linear(6, 4).double()
    h = torch.randn(25, 6, dtype=torch.float64)
    probs = torch.softmax(layer(h), dim=1).detach().numpy()
    np.testing.assert_allclose(expected_gradient_length(probs, h.numpy(), device="cpu"), autograd_egl(layer, h),
                               rtol=1e-10)  # fmt: skip


def test_a_certain_item_would_not_change_the_model() -> None:
    probs = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    h = np.ones((2, 3))
    scores = expected_gradient_length(probs, h, device="cpu")
    assert scores[0] == pytest.approx(0.0, abs=1e-12) and scores[1] > 0.5


def test_larger_features_mean_a_larger_gradient() -> None:
    probs = np.full((2, 2), 0.5)
    scores = expected_gradient_length(probs, np.array([[1.0, 0.0], [10.0, 0.0]]), device="cpu")
    assert scores[1] > 5 * scores[0]


def test_rows_must_match() -> None:
    with pytest.raises(LearnerError, match="n = 2"):
        expected_gradient_length(np.full((2, 2), 0.5), np.ones((3, 4)), device="cpu")
