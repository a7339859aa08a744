"""Contrastive adaptation on the unlabeled pool: does it buy accuracy at 20, 100 and 500 labels?

For each dataset: hold out a test split that is never labeled and never seen by the adapter;
fit the ContrastiveAdapter on the rest (the pool, labels unread); then train the product's
SoftmaxClassifier on b random pool labels with and without adaptation, over the same 5 label
draws, and measure test accuracy. The gain is paired: adapted minus plain, per draw.

- MNIST-5k, EfficientNet-Lite0 (112 px): views are each pool image as it is plus 2 augmented
  views (learner.adaptation.augment_image), each embedded once; the adapter is refitted with
  seed s for label draw s. Ablations (one adapter fit, seed 0): the other two representations,
  and the untrained head (epochs 0), which shows what a random MLP alone does.
- Rotten Tomatoes, MiniLM-L6: texts have no augmentations; one view plus embedding-space
  dropout and noise, as the product does for text projects.

The adapter's defaults were chosen on a validation split carved out of each pool (MNIST-5k: 800
pool items scored, labels drawn from the other 3,200), never on these test splits. Tried on
MNIST-5k: temperature 0.1 / 0.2 / 0.5 / 1.0 / 2.0 (0.59 / 0.62 / 0.65 / 0.69 / 0.70 accuracy at 20
labels; 0.5 and 1.0 best at 500, 0.93), the three representations, 2 or 4 augmented views (4: at most 0.02 better), with
or without the image as it is among the views (with: better), 10 / 30 / 60 epochs, hidden width
256 / 512, batch norm on or off. On Rotten Tomatoes, feature dropout 0.1-0.3 with noise 0-0.5 at
temperatures 0.2-1.0 all stayed within 0.01 of no adaptation.

    .venv/bin/python -m bench.adaptation --threads 1           # CPU: about 10 minutes cold on 2 busy cores
    .venv/bin/python -m bench.adaptation --device cuda         # on a GPU machine

Encoder outputs are cached under var/bench-cache/ (gitignored; keyed by the AugmentConfig, so delete
it after changing augmentation code); --cache '' turns that off.
"""

import argparse
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from bench.report import write
from learner.adaptation import (
    AUGMENTED_VIEWS,
    AugmentConfig,
    ContrastiveAdapter,
    ContrastiveConfig,
    augment_image,
    config_for,
)
from learner.datasets import load_dataset
from learner.device import resolve_device
from learner.encoders import load_encoder
from learner.models.softmax import SoftmaxClassifier

BUDGETS = (20, 100, 500)
SEEDS = range(5)


def cached(cache: Path | None, name: str, compute: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    """compute() or its cached result; and the seconds it took (0 when cached)."""
    path = cache / f"{name}.npy" if cache else None
    if path is not None and path.exists():
        return np.load(path), 0.0
    start = time.perf_counter()
    array = compute()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, array)
    return array, time.perf_counter() - start


def encode_all(encoder: Any, items: Sequence[Any], batch: int = 64) -> np.ndarray:
    return np.concatenate([encoder.encode(list(items[i : i + batch])) for i in range(0, len(items), batch)])


def accuracies(X: np.ndarray, y: np.ndarray, pool: np.ndarray, test: np.ndarray, budget: int, device: str,
               adapted: Callable[[int], np.ndarray] | None = None) -> list[float]:  # fmt: skip
    """Test accuracy per label draw s: SoftmaxClassifier on `budget` random pool labels (features adapted(s) or X)."""
    scores = []
    for seed in SEEDS:
        labeled = np.random.default_rng(100 + seed).choice(pool, size=budget, replace=False)
        F = adapted(seed) if adapted is not None else X
        model = SoftmaxClassifier(device=device).fit(F[labeled], y[labeled])
        scores.append(float(np.mean(model.predict(F[test]) == y[test])))
    return scores


def compare(dataset: str, X: np.ndarray, y: np.ndarray, pool: np.ndarray, test: np.ndarray, device: str,
            variants: dict[str, Callable[[int], np.ndarray]]) -> list[dict[str, Any]]:  # fmt: skip
    rows = []
    for budget in BUDGETS:
        plain = np.array(accuracies(X, y, pool, test, budget, device))
        rows.append(_row(dataset, budget, "none", plain, plain))
        for name, adapted in variants.items():
            rows.append(
                _row(dataset, budget, name, np.array(accuracies(X, y, pool, test, budget, device, adapted)), plain)
            )
        for row in rows[-1 - len(variants) :]:
            print(row, flush=True)
    return rows


def _row(dataset: str, budget: int, name: str, scores: np.ndarray, plain: np.ndarray) -> dict[str, Any]:
    gain = scores - plain  # paired by label draw
    baseline = name == "none"
    return {"dataset": dataset, "labels": budget, "adaptation": name,
            "accuracy": round(float(scores.mean()), 3), "std": round(float(scores.std()), 3),
            "gain": "" if baseline else round(float(gain.mean()), 3),
            "gain_std": "" if baseline else round(float(gain.std()), 3),
            "draws_better": "" if baseline else f"{int((gain > 0).sum())}/{len(gain)}"}  # fmt: skip


def fitted(config: ContrastiveConfig, views: np.ndarray, device: str, timings: list[float]) -> ContrastiveAdapter:
    start = time.perf_counter()
    adapter = ContrastiveAdapter(config, device).fit(views)
    timings.append(time.perf_counter() - start)
    return adapter


def mnist(cache: Path | None, device: str, summary: dict[str, Any]) -> list[dict[str, Any]]:
    data = load_dataset("mnist-5k")
    assert data.images is not None
    images, y = [Image.fromarray(a) for a in data.images], data.labels
    order = np.random.default_rng(0).permutation(len(y))
    test, pool = order[:1000], order[1000:]  # as bench.cold_start
    encoder = load_encoder("efficientnet-lite0-112", device)
    augment = AugmentConfig()
    tag = hashlib.sha256(repr(augment).encode()).hexdigest()[:8]
    X, seconds = cached(cache, "mnist-5k-efficientnet-lite0-112", lambda: encode_all(encoder, images))
    views = [X[pool]]
    for view in range(1, AUGMENTED_VIEWS + 1):  # seeded per (item, view), as the product's embedding worker does
        augmented = [augment_image(images[i], np.random.default_rng([0, int(i), view]), augment) for i in pool]
        vectors, took = cached(cache, f"mnist-5k-efficientnet-lite0-112-pool-view{view}-{tag}",
                               lambda augmented=augmented: encode_all(encoder, augmented))  # fmt: skip
        views.append(vectors)
        seconds += took
    stacked = np.stack(views)  # (1 + AUGMENTED_VIEWS, n_pool, 1280)
    timings: list[float] = []
    adapters = {s: fitted(config_for("image", seed=s), stacked, device, timings) for s in SEEDS}
    variants: dict[str, Callable[[int], np.ndarray]] = {
        "contrastive": lambda s: adapters[s].transform(X),
    }
    for name, config in (("contrastive, concat (seed 0)", replace(adapters[0].config, representation="concat")),
                         ("contrastive, residual (seed 0)", replace(adapters[0].config, representation="residual")),
                         ("untrained head (control)", replace(adapters[0].config, epochs=0))):  # fmt: skip
        features = fitted(config, stacked, device, timings).transform(X)
        variants[name] = lambda s, features=features: features
    summary["mnist-5k"] = {
        "encoder": "efficientnet-lite0-112", "pool": len(pool), "test": len(test),
        "views": f"each pool image + {AUGMENTED_VIEWS} augmented", "augment": asdict(augment),
        "encode_seconds": round(seconds, 1) if seconds else "cached",  # the image and its views, this run
        "adapter_fit_seconds_median": round(float(np.median(timings[: len(SEEDS)])), 1),
        "loss_first_last_epoch": [round(adapters[0].loss_history_[0], 3), round(adapters[0].loss_history_[-1], 3)],
    }  # fmt: skip
    return compare("mnist-5k", X, y, pool, test, device, variants)


def rotten_tomatoes(cache: Path | None, device: str, summary: dict[str, Any]) -> list[dict[str, Any]]:
    data = load_dataset("rotten-tomatoes")
    assert data.texts is not None
    y = data.labels
    order = np.random.default_rng(0).permutation(len(y))
    n_test = int(0.25 * len(y))
    test, pool = order[:n_test], order[n_test:]  # as bench.encoders
    encoder = load_encoder("minilm-l6", device)
    X, seconds = cached(cache, "rotten-tomatoes-minilm-l6", lambda: encode_all(encoder, data.texts or (), batch=256))
    timings: list[float] = []
    adapters = {s: fitted(config_for("text", seed=s), X[pool][None], device, timings) for s in SEEDS}
    summary["rotten-tomatoes"] = {
        "encoder": "minilm-l6", "pool": len(pool), "test": len(test),
        "views": "one (the embedding) + feature dropout 0.1 and gaussian noise 0.1 per view",
        "encode_seconds": round(seconds, 1) if seconds else "cached",
        "adapter_fit_seconds_median": round(float(np.median(timings)), 1),
        "loss_first_last_epoch": [round(adapters[0].loss_history_[0], 3), round(adapters[0].loss_history_[-1], 3)],
    }  # fmt: skip
    return compare("rotten-tomatoes", X, y, pool, test, device, {"contrastive": lambda s: adapters[s].transform(X)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--datasets", nargs="+", default=["mnist-5k", "rotten-tomatoes"],
                        choices=["mnist-5k", "rotten-tomatoes"])  # fmt: skip
    parser.add_argument("--cache", default="var/bench-cache", help="folder for encoder outputs; '' for none")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    cache = Path(args.cache) if args.cache else None
    summary: dict[str, Any] = {
        "device": str(device), "torch_threads": torch.get_num_threads(), "label_draws": len(SEEDS),
        "classifier": "SoftmaxClassifier defaults (linear head, early stopping)",
        "adapter_images": asdict(config_for("image")), "adapter_texts": asdict(config_for("text")),
        "gain": "adapted minus plain accuracy, paired by label draw (mean, std over draws)",
    }  # fmt: skip
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    if "mnist-5k" in args.datasets:
        rows += mnist(cache, str(device), summary)
    if "rotten-tomatoes" in args.datasets:
        rows += rotten_tomatoes(cache, str(device), summary)
    summary["total_seconds"] = round(time.perf_counter() - started, 1)
    print(write(f"adaptation-{device.type}", rows, summary))


if __name__ == "__main__":
    main()
