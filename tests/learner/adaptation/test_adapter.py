from dataclasses import replace

import numpy as np
import pytest
import torch

from learner.adaptation import ContrastiveAdapter, ContrastiveConfig, ProjectionHead
from learner.exceptions import LearnerError
from learner.models.softmax import SoftmaxClassifier

TINY = ContrastiveConfig(hidden=32, out=16, epochs=25, batch_size=64, lr=1e-2)


def _nuisance_pool(n: int, n_views: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two classes told apart by dim 0 alone, drowned in 15 loud nuisance dims that every view redraws.

    Like a crop or a brightness change, the augmentation moves the nuisance dims and never the class.
    Returns y (n,), the items X (n, 16) and their views (n_views, n, 16).
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    signal = (2 * y - 1)[:, None] + 0.3 * rng.standard_normal((n, 1))  # (n, 1)

    def draw() -> np.ndarray:
        return np.hstack([signal, 2.0 * rng.standard_normal((n, 15))]).astype(np.float32)  # (n, 16)

    return y, draw(), np.stack([draw() for _ in range(n_views)])


def test_the_loss_falls_as_it_trains() -> None:
    _, _, views = _nuisance_pool(128, 3, seed=0)
    adapter = ContrastiveAdapter(TINY, device="cpu").fit(views)
    assert len(adapter.loss_history_) == TINY.epochs
    assert adapter.loss_history_[-1] < adapter.loss_history_[0] - 0.3


def test_same_seed_same_representation_other_seed_another() -> None:
    _, X, views = _nuisance_pool(64, 2, seed=0)
    first = ContrastiveAdapter(replace(TINY, epochs=3), device="cpu").fit(views).transform(X)
    again = ContrastiveAdapter(replace(TINY, epochs=3), device="cpu").fit(views).transform(X)
    other = ContrastiveAdapter(replace(TINY, epochs=3, seed=1), device="cpu").fit(views).transform(X)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_fit_leaves_the_global_torch_rng_alone() -> None:
    _, _, views = _nuisance_pool(64, 2, seed=0)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ContrastiveAdapter(replace(TINY, epochs=2), device="cpu").fit(views)
    torch.testing.assert_close(torch.rand(3), expected)


def test_a_linear_probe_on_few_labels_does_better_after_adaptation() -> None:
    y, X, views = _nuisance_pool(256, 3, seed=0)
    y_test, X_test, _ = _nuisance_pool(400, 1, seed=1)
    adapter = ContrastiveAdapter(TINY, device="cpu").fit(views)  # the pool's views only: no label is read
    A, A_test = adapter.transform(X), adapter.transform(X_test)
    raw, adapted = [], []
    for seed in range(5):  # 3 labels per class, 5 draws
        rng = np.random.default_rng(seed)
        labeled = np.concatenate([rng.choice(np.flatnonzero(y == c), 3, replace=False) for c in (0, 1)])
        raw.append(np.mean(SoftmaxClassifier(device="cpu").fit(X[labeled], y[labeled]).predict(X_test) == y_test))
        adapted.append(np.mean(SoftmaxClassifier(device="cpu").fit(A[labeled], y[labeled]).predict(A_test) == y_test))
    assert np.mean(raw) < 0.75  # the nuisance dims swamp a probe on 6 labels
    assert np.mean(adapted) > 0.9 and np.mean(adapted) > np.mean(raw) + 0.2


@pytest.mark.parametrize(("representation", "width"), [("hidden", 32), ("concat", 16 + 32), ("residual", 16)])
def test_each_representation_has_its_width_and_an_untrained_residual_is_the_standardised_input(
    representation: str, width: int
) -> None:
    _, X, views = _nuisance_pool(64, 2, seed=0)
    adapter = ContrastiveAdapter(replace(TINY, epochs=0, representation=representation), device="cpu").fit(views)
    adapted = adapter.transform(X)
    assert adapted.shape == (64, width) == (64, adapter.output_dim) and adapted.dtype == np.float32
    standardised = ((torch.as_tensor(X) - adapter.mean_) / adapter.std_).numpy()
    if representation == "residual":  # `up` starts at zero: training starts from the pretrained space
        np.testing.assert_allclose(adapted, standardised, atol=1e-6)
    if representation == "concat":
        np.testing.assert_allclose(adapted[:, :16], standardised, atol=1e-6)


def test_state_arrays_rebuild_the_same_transform() -> None:
    _, X, views = _nuisance_pool(64, 2, seed=0)
    adapter = ContrastiveAdapter(replace(TINY, epochs=2), device="cpu").fit(views)
    arrays = adapter.state_arrays()
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    rebuilt = ContrastiveAdapter.from_state_arrays(arrays, adapter.config, device="cpu")
    np.testing.assert_array_equal(rebuilt.transform(X), adapter.transform(X))


def test_one_view_is_enough_with_embedding_noise() -> None:
    _, X, _ = _nuisance_pool(64, 1, seed=0)
    adapter = ContrastiveAdapter(replace(TINY, epochs=3, feature_dropout=0.1, noise=0.1), device="cpu").fit(X[None])
    assert adapter.transform(X).shape == (64, 32)
    with pytest.raises(LearnerError, match="single view needs feature_dropout or noise"):
        ContrastiveAdapter(TINY, device="cpu").fit(X[None])


def test_bad_inputs_are_named() -> None:
    _, X, views = _nuisance_pool(8, 2, seed=0)
    with pytest.raises(LearnerError, match="not fitted"):
        ContrastiveAdapter(TINY, device="cpu").transform(X)
    with pytest.raises(LearnerError, match=r"views must be \(n_views"):
        ContrastiveAdapter(TINY, device="cpu").fit(X)
    with pytest.raises(LearnerError, match="NaN"):
        ContrastiveAdapter(TINY, device="cpu").fit(np.full((2, 4, 3), np.nan))
    adapter = ContrastiveAdapter(replace(TINY, epochs=1), device="cpu").fit(views)
    with pytest.raises(LearnerError, match=r"X must be \(m, 16\)"):
        adapter.transform(X[:, :5])
    with pytest.raises(LearnerError, match="representation must be one of"):
        ProjectionHead(4, replace(TINY, representation="pooled"))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fits_on_cuda_and_the_fit_transforms_on_the_cpu() -> None:
    _, X, views = _nuisance_pool(128, 3, seed=0)
    on_gpu = ContrastiveAdapter(TINY, device="cuda").fit(views)
    assert on_gpu.loss_history_[-1] < on_gpu.loss_history_[0]
    on_cpu = ContrastiveAdapter.from_state_arrays(on_gpu.state_arrays(), TINY, device="cpu")
    np.testing.assert_allclose(on_cpu.transform(X), on_gpu.transform(X), atol=1e-4)
