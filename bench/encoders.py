"""Pretrained encoders: embedding throughput, and what they buy in accuracy at 100 and 500 labels.

Real data only: MNIST-5k (EfficientNet-Lite0 vs raw pixels) and Rotten Tomatoes (MiniLM vs
TF-IDF + LSA). The classifier is the product's SoftmaxClassifier with its default config; the
labeled rows are uniform random draws from the training split (3 seeds), and accuracy is
measured on a fixed held-out 20% (MNIST) or 25% (Rotten Tomatoes) that is never labeled.

    .venv/bin/python -m bench.encoders                # CPU
    .venv/bin/python -m bench.encoders --device cuda  # on a GPU machine
"""

import argparse
import time
from typing import Any

import numpy as np
import torch
from PIL import Image

from bench.report import write
from learner.datasets import load_dataset
from learner.device import resolve_device
from learner.encoders import load_encoder
from learner.features.pixels import pixel_features
from learner.features.text import text_features
from learner.models.softmax import SoftmaxClassifier

BUDGETS = (100, 500)
SEEDS = (0, 1, 2)


def throughput(encoder: Any, items: list[Any], batch: int = 64) -> tuple[float, np.ndarray]:
    """Items per second over `items` (after one warm-up batch) and the embeddings (n, dim)."""
    encoder.encode(items[:batch])
    start = time.perf_counter()
    vectors = np.concatenate([encoder.encode(items[i : i + batch]) for i in range(0, len(items), batch)])
    return len(items) / (time.perf_counter() - start), vectors


def accuracy_at_budgets(X: np.ndarray, y: np.ndarray, eval_share: float, device: str) -> dict[int, tuple[float, float]]:
    """Mean and std over seeds of held-out accuracy with each budget of random labels."""
    order = np.random.default_rng(0).permutation(len(y))
    n_eval = int(eval_share * len(y))
    test, train = order[:n_eval], order[n_eval:]
    out = {}
    for budget in BUDGETS:
        scores = []
        for seed in SEEDS:
            labeled = np.random.default_rng(100 + seed).choice(train, size=budget, replace=False)
            model = SoftmaxClassifier(device=device).fit(X[labeled], y[labeled])
            scores.append(float(np.mean(model.predict(X[test]) == y[test])))
        out[budget] = (float(np.mean(scores)), float(np.std(scores)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = resolve_device(args.device)
    rows: list[dict[str, Any]] = []

    def add(dataset: str, features: str, per_s: float | str, X: np.ndarray, y: np.ndarray, eval_share: float) -> None:
        for budget, (mean, std) in accuracy_at_budgets(X, y, eval_share, str(device)).items():
            rows.append({"dataset": dataset, "features": features, "dim": X.shape[1],
                         "items_per_s": round(per_s, 1) if isinstance(per_s, float) else per_s,
                         "labels": budget, "accuracy": round(mean, 3), "std": round(std, 3)})  # fmt: skip
            print(rows[-1], flush=True)

    mnist = load_dataset("mnist-5k")
    assert mnist.images is not None
    images = [Image.fromarray(a) for a in mnist.images]
    y_img = mnist.labels
    slow_rate, _ = throughput(load_encoder("efficientnet-lite0", device), images[:256])
    rows.append({"dataset": "mnist-5k", "features": "efficientnet-lite0 (224 px), throughput only", "dim": 1280,
                 "items_per_s": round(slow_rate, 1), "labels": "", "accuracy": "", "std": ""})  # fmt: skip
    rate, X_img = throughput(load_encoder("efficientnet-lite0-112", device), images)
    add("mnist-5k", "efficientnet-lite0-112", rate, X_img, y_img, 0.2)
    add("mnist-5k", "pixels 28x28", "", pixel_features(images), y_img, 0.2)

    reviews = load_dataset("rotten-tomatoes")
    assert reviews.texts is not None
    texts, y_txt = list(reviews.texts), reviews.labels
    rate, X_txt = throughput(load_encoder("minilm-l6", device), texts, batch=256)
    add("rotten-tomatoes", "minilm-l6", rate, X_txt, y_txt, 0.25)
    add("rotten-tomatoes", "tfidf-lsa 256", "", text_features(texts), y_txt, 0.25)

    summary = {"device": str(device), "torch_threads": torch.get_num_threads(), "seeds": len(SEEDS),
               "classifier": "SoftmaxClassifier defaults (linear head, early stopping)"}  # fmt: skip
    print(write(f"encoders-{device.type}", rows, summary))


if __name__ == "__main__":
    main()
