"""Fine-tuning the last block of EfficientNet-Lite0 vs a head on frozen embeddings.

MNIST-5k at 112 px; labeled rows are uniform random draws from the training split (3 seeds),
accuracy is on a fixed held-out 20% that is never labeled (as bench/encoders.py). The prefix
maps are computed once; the frozen embeddings come from them through the pretrained tail,
which gives the encoder's embedding exactly (tests/learner/finetune/test_prefix.py).

    .venv/bin/python -m bench.finetune                # CPU, one thread
    .venv/bin/python -m bench.finetune --device cuda  # on a GPU machine
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
from learner.finetune import FinetuneConfig, LastBlockClassifier, LastBlockTail, load_prefix_encoder
from learner.models.softmax import SoftmaxClassifier

BUDGETS = (100, 500)
SEEDS = (0, 1, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)
    data = load_dataset("mnist-5k")
    assert data.images is not None
    images = [Image.fromarray(a) for a in data.images]
    prefix = load_prefix_encoder("efficientnet-lite0-112", device)
    start = time.perf_counter()
    maps = np.concatenate([prefix.encode(images[i : i + 64]) for i in range(0, len(images), 64)])  # (n, 1728)
    encode_s = time.perf_counter() - start
    tail = LastBlockTail.pretrained().to(device).eval()
    with torch.no_grad():
        pooled = [tail(torch.from_numpy(maps[i : i + 256]).view(-1, *prefix.map_shape).to(device)) for i in
                  range(0, len(maps), 256)]  # fmt: skip
    frozen = torch.cat(pooled).cpu().numpy()  # (n, 1280) = the encoder's embeddings
    y = data.labels
    order = np.random.default_rng(0).permutation(len(y))
    test, train = order[: len(y) // 5], order[len(y) // 5 :]

    rows: list[dict[str, Any]] = []
    for budget in BUDGETS:
        for name in ("frozen head", "last block tuned"):
            scores, seconds, epochs = [], [], []
            for seed in SEEDS:
                labeled = np.random.default_rng(100 + seed).choice(train, size=budget, replace=False)
                start = time.perf_counter()
                if name == "frozen head":
                    model: SoftmaxClassifier = SoftmaxClassifier(device=str(device)).fit(frozen[labeled], y[labeled])
                    predicted = model.predict(frozen[test])
                else:
                    model = LastBlockClassifier(FinetuneConfig(), device=str(device)).fit(maps[labeled], y[labeled])
                    predicted = model.predict(maps[test])
                seconds.append(time.perf_counter() - start)
                scores.append(float(np.mean(predicted == y[test])))
                epochs.append(model.epochs_)
            rows.append({"labels": budget, "model": name, "accuracy": round(float(np.mean(scores)), 3),
                         "std": round(float(np.std(scores)), 3), "per_seed": [round(s, 3) for s in scores],
                         "epochs": epochs, "fit_s": round(float(np.mean(seconds)), 1)})  # fmt: skip
            print(rows[-1], flush=True)
    summary = {"dataset": "mnist-5k", "encoder": "efficientnet-lite0-112",
               "prefix_maps": "x".join(map(str, prefix.map_shape)),
               "test": len(test), "seeds": len(SEEDS), "device": str(device), "torch_threads": torch.get_num_threads(),
               "prefix_encode_s": round(encode_s, 1), "finetune_config": "FinetuneConfig defaults"}  # fmt: skip
    print(write(f"finetune-{device.type}", rows, summary))


if __name__ == "__main__":
    main()
