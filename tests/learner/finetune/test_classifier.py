import numpy as np
import pytest
import torch
from PIL import Image

from learner.finetune import FinetuneConfig, LastBlockClassifier, LastBlockTail, load_prefix_encoder
from learner.models.softmax import SoftmaxClassifier

FIXED: dict = dict(validation_fraction=0.0, epochs=15)  # no early stopping: every fit takes the same steps


@pytest.fixture(scope="module")
def task() -> tuple[np.ndarray, np.ndarray]:
    """24 noise images with arbitrary labels: only memorising fits them, so tuning has room to help."""
    torch.set_num_threads(1)
    rng = np.random.default_rng(1)
    images = [Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)) for _ in range(24)]
    maps = load_prefix_encoder("efficientnet-lite0-112", "cpu").encode(images)  # (24, 1728)
    return maps, np.array(["a", "b", "c"] * 8)


def log_loss(model: SoftmaxClassifier, X: np.ndarray, y: np.ndarray) -> float:
    probs = model.predict_proba(X)
    return float(-np.mean(np.log(probs[np.arange(len(y)), np.searchsorted(model.classes_, y)])))


def test_fit_moves_the_block_and_the_block_alone_fits_the_labels(task: tuple) -> None:
    """The linear layer is held at its seeded init (lr 0), so only the tuned block can lower the loss."""
    X, y = task
    tuned = LastBlockClassifier(FinetuneConfig(lr=0.0, block_lr=1e-4, **FIXED), device="cpu").fit(X, y)
    frozen = LastBlockClassifier(FinetuneConfig(lr=0.0, block_lr=0.0, **FIXED), device="cpu").fit(X, y)

    pretrained = LastBlockTail.pretrained().state_dict()
    weight = "block._project_conv.weight"
    assert not torch.equal(tuned.module_.get_submodule("tail").state_dict()[weight], pretrained[weight])
    assert torch.equal(frozen.module_.get_submodule("tail").state_dict()[weight], pretrained[weight])
    assert log_loss(tuned, X, y) < 0.5 * log_loss(frozen, X, y)
    assert tuned.predict_proba(X).shape == (24, 3) and tuned.embed(X).shape == (24, 1280)
    assert tuned.epochs_ == 15


def test_early_stopping_picks_a_step_count(task: tuple) -> None:
    X, y = task
    model = LastBlockClassifier(FinetuneConfig(epochs=12, min_epochs=3, patience=3), device="cpu").fit(X, y)
    assert 3 <= model.epochs_ <= 12


def test_same_seed_same_model(task: tuple) -> None:
    X, y = task
    first = LastBlockClassifier(FinetuneConfig(seed=3, **FIXED), device="cpu").fit(X, y).predict_proba(X)
    second = LastBlockClassifier(FinetuneConfig(seed=3, **FIXED), device="cpu").fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_bytes_round_trip_gives_identical_probabilities(task: tuple) -> None:
    X, y = task
    model = LastBlockClassifier(FinetuneConfig(block_lr=1e-3, **FIXED), device="cpu").fit(X, y)
    loaded = LastBlockClassifier.from_bytes(model.to_bytes(), device="cpu")

    assert loaded.config == model.config and isinstance(loaded.config, FinetuneConfig)
    assert loaded.epochs_ == model.epochs_ and list(loaded.classes_) == ["a", "b", "c"]
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.embed(X).numpy(), model.embed(X).numpy())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fits_on_cuda(task: tuple) -> None:
    X, y = task
    model = LastBlockClassifier(FinetuneConfig(**FIXED), device="cuda").fit(X, y)
    assert model.predict_proba(X).shape == (24, 3)
