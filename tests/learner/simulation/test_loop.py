import numpy as np
import pytest

from learner.exceptions import LearnerError
from learner.simulation import simulate, typical_start


def blobs(n_per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated gaussian blobs in 2-D: any decent learner gets them all right."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    X = np.concatenate([c + rng.normal(size=(n_per_class, 2)) for c in centers]).astype(np.float32)
    y = np.repeat(np.array(["a", "b", "c"]), n_per_class)
    return X, y


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, ...]:
    X, y = blobs(40)
    X_test, y_test = blobs(20, seed=1)
    return X, y, X_test, y_test


def test_curve_has_one_point_per_batch_up_to_the_budget(data):
    curve = simulate(*data, strategy="entropy", batch_size=6, budget=20, seed=0)
    assert curve.labels == (6, 12, 18, 20)  # the last batch is cut to the budget
    assert len(curve.accuracy) == 4 and all(0.0 <= a <= 1.0 for a in curve.accuracy)


def test_typicality_start_learns_separable_blobs_from_the_first_batch(data):
    curve = simulate(*data, strategy="margin", batch_size=3, budget=9, seed=0, start="typicality")
    assert curve.accuracy[0] >= 0.95  # one typical item per blob is enough here


def test_one_seed_gives_one_curve(data):
    first = simulate(*data, strategy="random", batch_size=5, budget=15, seed=3, start="random")
    again = simulate(*data, strategy="random", batch_size=5, budget=15, seed=3, start="random")
    assert first == again


def test_a_typical_first_batch_computed_once_gives_the_same_curves(data):
    X = data[0]
    typical = typical_start(X, 5, seed=2)
    for strategy in ("margin", "badge"):
        shared = simulate(*data, strategy=strategy, batch_size=5, budget=20, seed=2, typical=typical)
        assert shared == simulate(*data, strategy=strategy, batch_size=5, budget=20, seed=2)


@pytest.mark.parametrize(
    ("typical", "start", "message"),
    [
        ([0, 1, 2, 3, 4], "random", "the start is 'random'"),
        ([0, 1, 2], "typicality", "must be 5 distinct rows"),
        ([0, 1, 2, 3, 3], "typicality", "must be 5 distinct rows"),
        ([0, 1, 2, 3, 120], "typicality", "outside the pool of 120"),
    ],
)
def test_a_wrong_typical_first_batch_is_named(data, typical, start, message):
    with pytest.raises(LearnerError, match=message):
        simulate(*data, strategy="margin", batch_size=5, budget=10, seed=0, start=start, typical=np.array(typical))


def test_never_asks_for_an_item_twice_or_for_a_test_item(data):
    X, y, X_test, y_test = data
    curve = simulate(X, y, X_test, y_test, strategy="coreset", batch_size=30, budget=120, seed=0)
    assert curve.labels == (30, 60, 90, 120)  # the whole pool, each item once: no batch came up short


def test_a_pool_smaller_than_the_budget_ends_when_it_is_used_up(data):
    X, y, X_test, y_test = data
    curve = simulate(X[:25], y[:25], X_test, y_test, strategy="entropy", batch_size=10, budget=100, seed=0)
    assert curve.labels[-1] == 25


def test_one_class_so_far_scores_a_constant_guess_and_keeps_to_the_cold_start_order():
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.array(["a"] * 18 + ["b"] * 2)  # a random start of 2 is likely all "a"
    X_test, y_test = X[:10], np.array(["a"] * 5 + ["b"] * 5)
    curve = simulate(X, y, X_test, y_test, strategy="entropy", batch_size=2, budget=20, seed=0, start="random")
    assert curve.labels[-1] == 20
    assert curve.accuracy[0] == 0.5  # "always a" on a half-a test split


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0, "budget": 10}, "batch_size"),
        ({"batch_size": 20, "budget": 10}, "batch_size"),
        ({"batch_size": 5, "budget": 10, "start": "kmeans"}, "Unknown start 'kmeans'"),
    ],
)
def test_bad_settings_are_named(data, kwargs, message):
    with pytest.raises(LearnerError, match=message):
        simulate(*data, strategy="entropy", seed=0, **kwargs)


def test_mismatched_labels_are_named(data):
    X, y, X_test, y_test = data
    with pytest.raises(LearnerError, match="pool 120 vs 119"):
        simulate(X, y[:-1], X_test, y_test, strategy="entropy", batch_size=5, budget=10, seed=0)


def test_a_stop_set_records_each_versions_predictions_and_changes_nothing_else(data):
    X, y, X_test, y_test = data
    plain = simulate(X, y, X_test, y_test, strategy="margin", batch_size=6, budget=18, seed=0)
    watched = simulate(X, y, X_test, y_test, strategy="margin", batch_size=6, budget=18, seed=0, X_stop=X_test)
    assert (watched.labels, watched.accuracy) == (plain.labels, plain.accuracy)
    assert plain.stop_predictions == () and "stop_predictions" not in plain.as_dict()
    assert len(watched.stop_predictions) == len(watched.labels)
    for row, score in zip(watched.stop_predictions, watched.accuracy, strict=True):
        assert len(row) == len(X_test) and np.mean(np.array(row) == y_test) == score  # stop set = test split here
    assert watched.as_dict()["stop_predictions"][0] == list(watched.stop_predictions[0])


def test_one_class_so_far_predicts_that_class_on_the_stop_set():
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.array(["a"] * 18 + ["b"] * 2)
    curve = simulate(X, y, X[:4], y[:4], strategy="entropy", batch_size=2, budget=4, seed=0, start="random",
                     X_stop=X[:3])  # fmt: skip
    assert curve.stop_predictions[0] == ("a", "a", "a")
