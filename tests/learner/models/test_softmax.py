from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from learner.exceptions import LearnerError, NotEnoughLabelsError
from learner.models.committee import SoftmaxCommittee
from learner.models.softmax import INFERENCE_ROWS, SoftmaxClassifier, SoftmaxConfig, SoftmaxHead

FAST = SoftmaxConfig(epochs=150)


def _blobs(n_per_class: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated Gaussian blobs in 5-D: X (3 * n_per_class, 5), y (3 * n_per_class,) ints."""
    rng = np.random.default_rng(seed)
    centers = np.array([[4, 0, 0, 0, 0], [0, 4, 0, 0, 0], [0, 0, 4, 0, 0]], dtype=np.float64)
    X = np.concatenate([c + 0.3 * rng.standard_normal((n_per_class, 5)) for c in centers])
    y = np.repeat([0, 1, 2], n_per_class)
    return X, y


def test_head_maps_features_to_logits() -> None:
    assert SoftmaxHead(7, 3)(torch.zeros(4, 7)).shape == (4, 3)
    assert SoftmaxHead(7, 3, hidden=16)(torch.zeros(4, 7)).shape == (4, 3)


@pytest.mark.parametrize("hidden", [0, 16])
def test_learns_separable_blobs(hidden: int) -> None:
    X, y = _blobs()
    X_test, y_test = _blobs(seed=1)
    model = SoftmaxClassifier(SoftmaxConfig(hidden=hidden, epochs=150), device="cpu").fit(X, y)
    assert model.n_features_in_ == 5
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert np.mean(model.predict(X_test) == y_test) == 1.0
    probs = model.predict_proba(X_test)
    assert probs.shape == (60, 3) and probs.dtype == np.float64
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)


def test_same_seed_same_probabilities() -> None:
    X, y = _blobs()
    config = SoftmaxConfig(hidden=8, epochs=50, seed=5)
    first = SoftmaxClassifier(config, device="cpu").fit(X, y).predict_proba(X)
    second = SoftmaxClassifier(config, device="cpu").fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = SoftmaxClassifier(SoftmaxConfig(hidden=8, epochs=50, seed=6), device="cpu").fit(X, y)
    assert not np.array_equal(first, other.predict_proba(X))


def test_fit_leaves_the_global_torch_rng_alone() -> None:
    X, y = _blobs(5)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    SoftmaxClassifier(FAST, device="cpu").fit(X, y)
    torch.testing.assert_close(torch.rand(3), expected)


def test_string_labels_and_column_order() -> None:
    X, y = _blobs()
    names = np.array(["zebra", "ant", "moose"])[y].astype(object)  # unsorted names, object dtype
    model = SoftmaxClassifier(FAST, device="cpu").fit(X, names)
    assert model.classes_.tolist() == ["ant", "moose", "zebra"]
    assert np.array_equal(model.predict(X), names)
    probs = model.predict_proba(X)
    assert np.all(model.classes_[probs.argmax(axis=1)] == names)  # columns follow classes_


def test_class_balanced_loss_keeps_the_rare_class() -> None:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (190, 2)), rng.normal(2.5, 1, (10, 2))])  # overlapping, 19:1
    y = np.array([0] * 190 + [1] * 10)
    predicted = SoftmaxClassifier(FAST, device="cpu").fit(X, y).predict(X)
    assert np.mean(predicted[y == 1] == 1) >= 0.7  # an unweighted loss would mostly answer 0


def test_torch_tensor_input_matches_numpy() -> None:
    X, y = _blobs(5)
    model = SoftmaxClassifier(FAST, device="cpu").fit(torch.as_tensor(X), y)
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(torch.as_tensor(X)))


def test_save_load_roundtrip_gives_identical_probabilities(tmp_path: Path) -> None:
    X, y = _blobs()
    labels = np.array(["a", "b", "c"], dtype=object)[y]
    model = SoftmaxClassifier(SoftmaxConfig(hidden=4, epochs=30, seed=2), device="cpu").fit(X, labels)
    path = tmp_path / "model.pt"
    model.save(path)
    model.save(path)  # overwrite in place
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temp file left behind
    loaded = SoftmaxClassifier.load(path, device="cpu")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.config == model.config
    assert loaded.classes_.dtype == object and loaded.classes_.tolist() == ["a", "b", "c"]
    assert loaded.n_features_in_ == 5


def test_bytes_roundtrip_matches_the_file_and_the_committee_keeps_its_class(tmp_path: Path) -> None:
    X, y = _blobs()
    model = SoftmaxClassifier(SoftmaxConfig(epochs=30, seed=2), device="cpu").fit(X, y)
    model.save(tmp_path / "model.pt")
    assert (tmp_path / "model.pt").read_bytes() == model.to_bytes()  # one format for disk and object stores
    loaded = SoftmaxClassifier.from_bytes(model.to_bytes(), device="cpu")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    committee = SoftmaxCommittee(SoftmaxConfig(epochs=30, members=3), device="cpu").fit(X, y)
    again = SoftmaxCommittee.from_bytes(committee.to_bytes(), device="cpu")
    assert again.predict_proba_members(X[:2]).shape == (3, 2, 3)


def test_fewer_than_two_classes_raises_with_counts() -> None:
    with pytest.raises(NotEnoughLabelsError, match=r"'cat': 3"):
        SoftmaxClassifier(FAST, device="cpu").fit(np.zeros((3, 2)), ["cat"] * 3)
    with pytest.raises(NotEnoughLabelsError, match="no labels"):
        SoftmaxClassifier(FAST, device="cpu").fit(np.zeros((0, 2)), [])


def test_misuse_raises_learner_error(tmp_path: Path) -> None:
    X, y = _blobs(5)
    unfitted = SoftmaxClassifier(FAST, device="cpu")
    with pytest.raises(LearnerError, match="not fitted"):
        unfitted.predict_proba(X)
    with pytest.raises(LearnerError, match="not fitted"):
        unfitted.save(tmp_path / "m.pt")
    with pytest.raises(LearnerError, match="one label per row"):
        unfitted.fit(X, y[:-1])
    model = unfitted.fit(X, y)
    with pytest.raises(LearnerError, match="fitted on 5"):
        model.predict_proba(np.zeros((2, 4)))
    with pytest.raises(LearnerError, match="2-D"):
        model.predict_proba(np.zeros(5))
    with pytest.raises(LearnerError, match="NaN"):
        model.predict_proba(np.full((1, 5), np.nan))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_non_finite_entry_anywhere_in_a_large_pool_is_refused(bad: float) -> None:
    X, y = _blobs(5)
    model = SoftmaxClassifier(FAST, device="cpu").fit(X, y)
    pool = np.zeros((3 * INFERENCE_ROWS, 5), dtype=np.float32)
    pool[-1, 3] = bad  # in the last block, where a per-block check would be last to look
    with pytest.raises(LearnerError, match="NaN or infinite"):
        model.predict_proba(pool)


def test_finite_values_whose_sum_overflows_are_accepted() -> None:
    X, y = _blobs(5)
    model = SoftmaxClassifier(FAST, device="cpu").fit(X, y)
    huge = np.full((4, 5), 3e38, dtype=np.float32)  # each finite; their float32 sum is inf
    assert np.isfinite(model.predict_proba(huge)).all()


@pytest.mark.parametrize("model_class", [SoftmaxClassifier, SoftmaxCommittee])
def test_a_pool_larger_than_a_block_scores_as_row_by_row(model_class: type[SoftmaxClassifier]) -> None:
    X, y = _blobs(10)
    model = model_class(SoftmaxConfig(epochs=60, members=3), device="cpu").fit(X, y)
    pool = np.random.default_rng(1).normal(0, 3, size=(2 * INFERENCE_ROWS + 7, 5)).astype(np.float32)
    whole = model.predict_proba(pool)
    one_by_one = np.concatenate([model.predict_proba(row[None]) for row in pool[:: INFERENCE_ROWS // 2]])
    np.testing.assert_allclose(whole[:: INFERENCE_ROWS // 2], one_by_one, atol=1e-6)
    assert whole.shape == (len(pool), 3)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fit_matches_cpu_and_loads_anywhere(tmp_path: Path) -> None:
    X, y = _blobs()
    on_gpu = SoftmaxClassifier(FAST, device="cuda").fit(X, y)
    on_cpu = SoftmaxClassifier(FAST, device="cpu").fit(X, y)
    np.testing.assert_allclose(on_gpu.predict_proba(X), on_cpu.predict_proba(X), atol=1e-4)
    on_gpu.save(tmp_path / "gpu.pt")
    np.testing.assert_allclose(
        SoftmaxClassifier.load(tmp_path / "gpu.pt", device="cpu").predict_proba(X), on_gpu.predict_proba(X), atol=1e-6
    )


def test_early_stopping_stops_when_held_out_loss_stops_falling() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 40)).astype(np.float32)
    noise = rng.integers(0, 2, size=60)  # labels unrelated to X: every step past the first few only memorises
    stopped = SoftmaxClassifier(SoftmaxConfig(epochs=300, patience=10), device="cpu").fit(X, noise)
    assert stopped.epochs_ < 100
    full = SoftmaxClassifier(SoftmaxConfig(epochs=300, validation_fraction=0.0), device="cpu").fit(X, noise)
    assert full.epochs_ == 300


def test_early_stopping_is_reproducible_and_survives_save(tmp_path) -> None:
    X, y = load_digits(return_X_y=True)
    config = SoftmaxConfig(seed=3)
    a = SoftmaxClassifier(config, device="cpu").fit(X[:120], y[:120])
    b = SoftmaxClassifier(config, device="cpu").fit(X[:120], y[:120])
    assert a.epochs_ == b.epochs_
    np.testing.assert_array_equal(a.predict_proba(X[500:520]), b.predict_proba(X[500:520]))
    a.save(tmp_path / "m.pt")
    assert SoftmaxClassifier.load(tmp_path / "m.pt", device="cpu").epochs_ == a.epochs_


def test_a_class_with_too_few_labels_trains_without_a_held_out_split() -> None:
    X = np.array([[0.0], [0.1], [1.0], [1.1], [1.2]], dtype=np.float32)
    model = SoftmaxClassifier(SoftmaxConfig(epochs=50), device="cpu").fit(X, ["a", "a", "b", "b", "b"])
    assert model.epochs_ == 50  # two rows of "a": none can be spared for validation


def imbalanced(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping classes, 10:1: answering "a" more often buys accuracy and costs recall of "b"."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(0.0, 1.0, (300, 2)), rng.normal(1.5, 1.0, (30, 2))]).astype(np.float32)
    return X, np.array(["a"] * 300 + ["b"] * 30)


@pytest.mark.parametrize("seed", range(3))
def test_the_class_weighting_is_chosen_by_the_metric_on_the_validation_split(seed: int) -> None:
    X, y = imbalanced()
    by_accuracy = SoftmaxClassifier(SoftmaxConfig(metric="accuracy", seed=seed), device="cpu").fit(X, y)
    by_balanced = SoftmaxClassifier(SoftmaxConfig(metric="balanced_accuracy", seed=seed), device="cpu").fit(X, y)
    assert by_accuracy.class_weight_ == "none"  # the majority class pays on accuracy
    assert by_balanced.class_weight_ == "balanced"  # recall of the rare class pays on balanced accuracy
    assert set(by_accuracy.validation_scores_) == {"balanced", "none"}
    rare_calls = [np.mean(model.predict(X) == "b") for model in (by_accuracy, by_balanced)]
    assert rare_calls[0] < rare_calls[1]


def test_balanced_labels_or_a_fixed_weighting_train_once() -> None:
    X, y = imbalanced()
    fixed = SoftmaxClassifier(SoftmaxConfig(class_weight="none"), device="cpu").fit(X, y)
    assert fixed.class_weight_ == "none" and set(fixed.validation_scores_) == {"none"}
    even = SoftmaxClassifier(SoftmaxConfig(), device="cpu").fit(X[270:], y[270:])  # 30 and 30
    assert even.class_weight_ == "balanced" and set(even.validation_scores_) == {"balanced"}
    with pytest.raises(LearnerError, match="class_weight"):
        SoftmaxClassifier(SoftmaxConfig(class_weight="inverse"), device="cpu").fit(X, y)
