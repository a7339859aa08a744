"""From scores to an order: rank, top-k and diverse top-k at 1M items, before and after.

"before" is the order as it was made until now: every score to float64 numpy on the host and a
full stable argsort, even for a top-k (top-k = rank[:k]). "numpy" is learner.selection on
numpy scores (a partition for top-k), "tensor" the same functions on a float32 tensor on the
device (torch sort / topk there). Diverse top-k shortlists 10 k rows, then farthest-first on
512-d embeddings held on the device; its "before" was the full sort above plus the same
farthest-first.

    .venv/bin/python -m bench.selection                 # CPU, 1M items
    .venv/bin/python -m bench.selection --device cuda   # on a GPU machine
"""

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from bench.report import write
from learner.arrays import to_numpy
from learner.batch import diverse_top_k
from learner.device import resolve_device
from learner.selection import rank, select_top_k


def timed(fn: Callable[[], Any], device: torch.device, repeats: int = 5) -> float:
    """Median seconds of `fn()` over `repeats` runs after one warm-up, synchronising CUDA."""
    fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def before_rank(scores: torch.Tensor) -> np.ndarray:
    return np.argsort(-to_numpy(scores).astype(np.float64), kind="stable")


def measure(n: int, k: int, device: torch.device, d: int = 512, repeats: int = 5) -> list[dict[str, Any]]:
    """Seconds for each way of ordering n scores (k picks), one row per operation."""
    gen = torch.Generator().manual_seed(0)
    scores = torch.rand(n, generator=gen).to(device)  # (n,) float32, as a scorer returns them
    scores[: n // 100] = scores[0]  # 1% ties
    host = to_numpy(scores).astype(np.float64)
    emb = torch.randn(n, d, generator=gen).to(device=device, dtype=torch.float16 if device.type == "cuda" else None)
    cases: dict[str, dict[str, Callable[[], Any]]] = {
        "rank": {"before": lambda: before_rank(scores), "numpy": lambda: rank(host), "tensor": lambda: rank(scores)},
        f"top-{k}": {
            "before": lambda: before_rank(scores)[:k],
            "numpy": lambda: select_top_k(host, k),
            "tensor": lambda: select_top_k(scores, k),
        },
        f"diverse top-{k}": {
            "numpy": lambda: diverse_top_k(host, emb, k, device=device),
            "tensor": lambda: diverse_top_k(scores, emb, k, device=device),
        },
    }
    rows = []
    for operation, ways in cases.items():
        row: dict[str, Any] = {"operation": f"{operation} of {n:,}"}
        for way, fn in ways.items():
            row[f"{way} ms"] = round(1e3 * timed(fn, device, repeats), 2)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    rows = measure(args.n, args.k, device)
    for row in rows:
        print(row)
    name = f"selection-{device.type}"
    write(name, rows, {"device": str(device), "torch threads": args.threads, "scores": "float32, 1% tied"})


if __name__ == "__main__":
    main()
