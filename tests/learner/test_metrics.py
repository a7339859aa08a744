import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score

from learner.exceptions import LearnerError
from learner.metrics import METRICS, default_metric, majority_baseline, score

# A small imbalanced task: 8 of class "common", 2 of "rare".
TRUTH = np.array(["common"] * 8 + ["rare"] * 2)
ALWAYS_COMMON = np.array(["common"] * 10)


def test_known_answers_on_a_majority_guesser() -> None:
    assert score("accuracy", TRUTH, ALWAYS_COMMON) == pytest.approx(0.8)
    assert score("balanced_accuracy", TRUTH, ALWAYS_COMMON) == pytest.approx(0.5)  # recall 1 and 0
    assert score("macro_f1", TRUTH, ALWAYS_COMMON) == pytest.approx((2 * 8 / 18 + 0) / 2)  # F1 8/9 and 0


@pytest.mark.parametrize("seed", range(5))
def test_balanced_accuracy_and_macro_f1_agree_with_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.choice(["a", "bb", "ccc"], size=30, p=[0.6, 0.3, 0.1])
    pred = rng.choice(["a", "bb", "ccc", "dddd"], size=30)
    assert score("balanced_accuracy", truth, pred) == pytest.approx(
        balanced_accuracy_score(truth, pred) if set(pred) <= set(truth) else
        np.mean([np.mean(pred[truth == c] == c) for c in np.unique(truth)]))  # fmt: skip
    assert score("macro_f1", truth, pred) == pytest.approx(f1_score(truth, pred, average="macro"))


def test_macro_f1_is_the_default_only_when_classes_are_imbalanced() -> None:
    assert default_metric(TRUTH) == "macro_f1"
    assert default_metric(["a"] * 7 + ["b"] * 5) == "accuracy"  # 1.4x: close enough to balanced
    assert default_metric(["a"] * 5) == "accuracy"


def test_the_majority_baseline_answers_the_most_frequent_training_class() -> None:
    y_train = ["rare", "common", "common"]
    assert majority_baseline(y_train, TRUTH, "accuracy") == pytest.approx(0.8)
    assert majority_baseline(y_train, TRUTH, "macro_f1") == pytest.approx(score("macro_f1", TRUTH, ALWAYS_COMMON))
    assert majority_baseline(["rare"], TRUTH, "accuracy") == pytest.approx(0.2)  # a longer label is not truncated


def test_unknown_metric_names_the_known_ones() -> None:
    with pytest.raises(LearnerError, match="macro_f1"):
        score("auc", TRUTH, TRUTH)
    assert METRICS == ("accuracy", "balanced_accuracy", "macro_f1")


def test_eval_report_counts_the_confusion_and_recalls_per_class():
    from learner.metrics import eval_report

    report = eval_report(["a", "a", "b", "b", "b"], ["a", "b", "b", "b", "a"], ["a", "b", "c"])

    assert report["confusion"] == [[1, 1, 0], [1, 2, 0], [0, 0, 0]]
    assert report["recall"] == [0.5, pytest.approx(2 / 3), None]  # nobody is truly "c"
    assert report["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
