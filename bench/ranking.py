"""Ranking speed: every strategy on pools of 10k, 100k and 1M items, as ratios to modAL's
equivalent and to a straightforward numpy k-center, measured in the same run.

Inputs are synthetic (speed does not depend on where the numbers come from): 512-d float32
embeddings, 10 classes, a committee of 5. `one read` is the time to read the embedding matrix
once (a sum over it): the floor for any single pass over the embeddings.

    .venv/bin/python -m bench.ranking                      # CPU, all sizes
    .venv/bin/python -m bench.ranking --device cuda        # on a GPU machine
    .venv/bin/python -m bench.ranking --sizes 10000 --ks 100   # a quick look
"""

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from bench.memory import peak_rss
from bench.modal_adapters import modal_committee, modal_learner, row_ids
from bench.report import write
from learner.arrays import to_numpy
from learner.batch import badge, diverse_top_k, k_center_greedy, k_center_greedy_reference
from learner.device import resolve_device
from learner.inputs import PoolInputs
from learner.models.committee import CommitteeHead
from learner.selection import select_top_k
from learner.strategies import STRATEGIES, StrategyOptions

D, CLASSES, MEMBERS, LABELED = 512, 10, 5, 1000
MODAL_DENSITY_MAX_N = 10_000  # modAL's information_density builds an n x n matrix: 80 GB at 100k


def synthetic(n: int, device: torch.device, seed: int = 0) -> tuple[PoolInputs, torch.Tensor]:
    """Clustered embeddings (n, D), a softmax head's probs (n, C) and a committee's (M, n, C)."""
    gen = torch.Generator().manual_seed(seed)
    centers = torch.randn(50, D, generator=gen)
    emb = centers[torch.randint(0, 50, (n,), generator=gen)] + 0.5 * torch.randn(n, D, generator=gen)  # (n, D)
    heads = torch.randn(MEMBERS, D, CLASSES, generator=gen) * 0.05  # (M, D, C)
    committee = torch.softmax(torch.einsum("nd,mdc->mnc", emb, heads), dim=-1)  # (M, n, C)
    labeled = centers[torch.randint(0, 50, (LABELED,), generator=gen)] + 0.5 * torch.randn(LABELED, D, generator=gen)
    inputs = PoolInputs(
        probs=committee.mean(dim=0).to(device),
        committee_probs=committee.to(device),
        embeddings=emb.to(device),
        labeled_embeddings=labeled.to(device),
        head_weight=heads[0].T.contiguous().to(device),  # (C, D): one head, for MC-dropout BALD
        head_bias=torch.zeros(CLASSES, device=device),
    )
    return inputs, emb


def measure(fn: Callable[[], Any], device: torch.device, repeat: int, warmup: bool = False) -> tuple[float, float, Any]:
    """Best wall time over `repeat` runs (s), peak extra memory (MB: GPU or RSS), last result.

    `warmup` runs `fn` once untimed first, so first-touch page faults of fresh buffers and lazy
    initialisation are not counted; the long batch selectors skip it (one run takes minutes).
    """
    best, peak_mb, result = float("inf"), 0.0, None
    if warmup:
        fn()
    for _ in range(repeat):
        if device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
        with peak_rss() as peak:
            start = time.perf_counter()
            result = fn()
            if device.type == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - start)
        used = torch.cuda.max_memory_allocated() - base if device.type == "cuda" else peak.extra_bytes
        peak_mb = max(peak_mb, used / 2**20)
    return best, peak_mb, result


def modal_equivalents(inputs: PoolInputs, n: int) -> dict[str, Callable[[], Any]]:
    """modAL's function for each registered strategy that modAL also has, on the same inputs."""
    from modAL.density import information_density
    from modAL.disagreement import KL_max_disagreement, consensus_entropy, vote_entropy
    from modAL.uncertainty import classifier_entropy, classifier_margin, classifier_uncertainty

    probs = inputs.probs.double().cpu().numpy()
    committee = modal_committee(inputs.committee_probs.double().cpu().numpy())
    learner, X = modal_learner(probs), row_ids(n)
    found = {
        "least_confidence": lambda: classifier_uncertainty(learner, X),
        "margin": lambda: classifier_margin(learner, X),
        "entropy": lambda: classifier_entropy(learner, X),
        "vote_entropy": lambda: vote_entropy(committee, X),
        "consensus_entropy": lambda: consensus_entropy(committee, X),
        "max_disagreement": lambda: KL_max_disagreement(committee, X),
    }
    if n <= MODAL_DENSITY_MAX_N:
        emb = inputs.embeddings.cpu().numpy()
        found["density_entropy"] = lambda: classifier_entropy(learner, X) * information_density(emb, "cosine")
    return found


class Table:
    """Rows for one pool size, each timing set against a reference and the one-read floor."""

    def __init__(self, n: int, read_s: float) -> None:
        self.n, self.read_s, self.rows = n, read_s, []

    def add(self, strategy: str, k: int | str, ours: tuple[float, float, Any], ref: str = "", ref_s: float | None = None):  # noqa: E501
        self.rows.append({
            "n": self.n, "strategy": strategy, "k": k, "tweezer_s": round(ours[0], 4),
            "peak_mb": round(ours[1], 1), "one_read_ratio": round(ours[0] / self.read_s, 1),
            "reference": ref if ref_s else "", "reference_s": round(ref_s, 4) if ref_s else "",
            "speedup": round(ref_s / ours[0], 1) if ref_s else "",
        })  # fmt: skip
        print(self.rows[-1], flush=True)


def bench_size(n: int, ks: list[int], device: torch.device, reference_max_nk: int) -> list[dict[str, Any]]:
    """Every strategy on a pool of n: scorers, their top-k and diverse top-k, core-set, BADGE."""
    inputs, emb_cpu = synthetic(n, device)
    cpu, repeat = torch.device("cpu"), 3
    table = Table(n, measure(lambda: inputs.embeddings.sum(), device, 3)[0])
    modal = modal_equivalents(inputs, n)
    head = CommitteeHead(D, CLASSES, MEMBERS).to(device)
    with torch.no_grad():
        fused = measure(lambda: torch.softmax(head(inputs.embeddings), dim=-1), device, repeat)
    table.add(f"committee forward ({MEMBERS} heads, one fused pass)", "all", fused)
    for name, spec in STRATEGIES.items():
        rng = np.random.default_rng(0)
        ours = measure(lambda spec=spec, rng=rng: spec.score(inputs, rng, device, StrategyOptions()), device, repeat,
                       warmup=True)  # fmt: skip
        ref_s = measure(modal[name], cpu, repeat, warmup=True)[0] if name in modal else None
        table.add(name, "all", ours, f"modAL {name}", ref_s)
        scores = to_numpy(ours[2]) if isinstance(ours[2], torch.Tensor) else ours[2]
        for k in ks:
            table.add(f"{name} top-k", k, measure(lambda k=k, s=scores: select_top_k(s, k), cpu, repeat))
            if name == "entropy":  # batch diversity costs the same whichever scorer fed it
                pick = lambda k=k, s=scores: diverse_top_k(s, inputs.embeddings, k, device=device)  # noqa: E731
                diverse = measure(pick, device, 1)
                table.add("diverse top-k (any scorer)", k, diverse)
    labeled = inputs.labeled_embeddings
    for k in ks:
        coreset = measure(lambda k=k: k_center_greedy(inputs.embeddings, k, labeled_embeddings=labeled, device=device),
                          device, 1)  # fmt: skip
        ref_s = None
        if n * k <= reference_max_nk:
            X, L = emb_cpu.numpy(), labeled.cpu().numpy()
            ref_s = measure(lambda k=k, X=X, L=L: k_center_greedy_reference(X, k, labeled_embeddings=L), cpu, 1)[0]
        table.add("coreset (k-center greedy)", k, coreset, "numpy k-center", ref_s)
        seeded = lambda k=k: badge(inputs.probs, inputs.embeddings, k, rng=0, device=device)  # noqa: E731
        table.add("badge", k, measure(seeded, device, 1))
    table.add("one read of the embeddings", "", (table.read_s, 0.0, None))
    return table.rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--ks", default="100,1000")
    parser.add_argument("--reference-max-nk", type=int, default=100_000_000,
                        help="Run the numpy k-center only where n * k is at most this (it costs O(n k d)).")
    args = parser.parse_args()
    device = resolve_device(args.device)
    sizes, ks = [int(s) for s in args.sizes.split(",")], [int(k) for k in args.ks.split(",")]
    rows = [row for n in sizes for row in bench_size(n, ks, device, args.reference_max_nk)]
    summary = {"device": str(device), "torch_threads": torch.get_num_threads(), "embedding_dim": D,
               "classes": CLASSES, "committee": MEMBERS, "labeled": LABELED}  # fmt: skip
    if device.type == "cuda":
        summary["gpu"] = torch.cuda.get_device_name(device)
    print(write(f"ranking-{device.type}", rows, summary))


if __name__ == "__main__":
    main()
