import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from learner.adaptation.loss import nt_xent


def _reference(z1: np.ndarray, z2: np.ndarray, temperature: float) -> float:
    """NT-Xent as the SimCLR paper writes it, one anchor at a time, in float64 loops."""
    views = [v / np.linalg.norm(v) for v in np.concatenate([z1, z2]).astype(np.float64)]
    n = len(z1)
    total = 0.0
    for i, anchor in enumerate(views):
        partner = (i + n) % (2 * n)
        similar = {k: math.exp(float(anchor @ views[k]) / temperature) for k in range(2 * n) if k != i}
        total += -math.log(similar[partner] / sum(similar.values()))
    return total / (2 * n)


def test_aligned_orthogonal_items_have_the_closed_form_loss() -> None:
    z = torch.eye(2)  # two items, each view equal to its partner and orthogonal to the other item
    expected = math.log(1 + 2 * math.exp(-1 / 0.5))  # partner at cos 1, two negatives at cos 0
    assert float(nt_xent(z, z.clone(), 0.5)) == pytest.approx(expected, rel=1e-6)


def test_one_item_has_nothing_to_confuse_its_partner_with() -> None:
    assert float(nt_xent(torch.tensor([[1.0, 2.0]]), torch.tensor([[-3.0, 0.5]]), 0.1)) == pytest.approx(0.0)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 6), k=st.integers(2, 5), temperature=st.sampled_from([0.1, 0.5, 1.0]), seed=st.integers(0, 999))
def test_matches_the_per_anchor_reference(n: int, k: int, temperature: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    z1, z2 = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    got = float(nt_xent(torch.as_tensor(z1), torch.as_tensor(z2), temperature))
    assert got == pytest.approx(_reference(z1, z2, temperature), rel=1e-9, abs=1e-12)


def test_scale_of_a_view_does_not_matter_only_its_direction() -> None:
    rng = np.random.default_rng(0)
    z1, z2 = torch.as_tensor(rng.standard_normal((4, 3))), torch.as_tensor(rng.standard_normal((4, 3)))
    torch.testing.assert_close(nt_xent(z1, z2, 0.2), nt_xent(3.0 * z1, 0.5 * z2, 0.2))
