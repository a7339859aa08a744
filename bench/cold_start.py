"""Cold start: the first labels chosen by k-center on pretrained embeddings vs at random.

Before any model exists Tweezer orders the first batch by k-center greedy (cosine) on the
encoder's embeddings (labeling.services.cold_start). Here, on MNIST-5k with EfficientNet-Lite0
(112 px) features: label the first b items either way, train the product's classifier on them,
and measure accuracy on a held-out 20% never labeled. Random uses 5 seeds; k-center is
deterministic (it starts from the item nearest the pool mean).

    .venv/bin/python -m bench.cold_start
"""

from typing import Any

import numpy as np
from PIL import Image

from bench.report import write
from learner.batch import k_center_greedy, typical_representatives
from learner.datasets import load_dataset
from learner.encoders import load_encoder
from learner.exceptions import NotEnoughLabelsError
from learner.models.softmax import SoftmaxClassifier

BUDGETS = (10, 20, 50)
SEEDS = range(5)


def accuracy(X: np.ndarray, y: np.ndarray, labeled: np.ndarray, test: np.ndarray) -> float:
    try:
        model = SoftmaxClassifier(device="cpu").fit(X[labeled], y[labeled])
    except NotEnoughLabelsError:
        return 1.0 / len(np.unique(y))  # one class only: a constant guess
    return float(np.mean(model.predict(X[test]) == y[test]))


def main() -> None:
    data = load_dataset("mnist-5k")
    assert data.images is not None
    encoder = load_encoder("efficientnet-lite0-112", "cpu")
    images = [Image.fromarray(a) for a in data.images]
    X = np.concatenate([encoder.encode(images[i : i + 64]) for i in range(0, len(images), 64)])
    y = data.labels
    order = np.random.default_rng(0).permutation(len(y))
    test, pool = order[:1000], order[1000:]
    rows: list[dict[str, Any]] = []
    for budget in BUDGETS:
        picks, _ = k_center_greedy(X[pool], budget, metric="cosine", device="cpu")
        kcenter = accuracy(X, y, pool[picks], test)
        typical = typical_representatives(X[pool], budget)
        typical_acc = accuracy(X, y, pool[typical], test)
        randoms = [accuracy(X, y, np.random.default_rng(s).choice(pool, budget, replace=False), test) for s in SEEDS]
        rows.append({"labels": budget, "typical_accuracy": round(typical_acc, 3),
                     "classes_covered_typical": len(set(y[pool[typical]])), "k_center_accuracy": round(kcenter, 3),
                     "classes_covered_k_center": len(set(y[pool[picks]])),
                     "random_accuracy_mean": round(float(np.mean(randoms)), 3),
                     "random_accuracy_std": round(float(np.std(randoms)), 3)})  # fmt: skip
        print(rows[-1], flush=True)
    summary = {"dataset": "mnist-5k", "encoder": "efficientnet-lite0-112", "pool": len(pool), "test": len(test),
               "random_seeds": len(SEEDS)}  # fmt: skip
    print(write("cold-start-cpu", rows, summary))


if __name__ == "__main__":
    main()
