"""One command for the GPU worker's check (issue 15): the `gpu` tests and every figure, in one run.

    python -m bench.gpu_check                   # on a CUDA machine: about 2-4 minutes on an H100
    python -m bench.gpu_check --skip-tests      # the figures only
    python -m bench.gpu_check --cpu-smoke       # tiny sizes on a CPU: proves the script end to end

Each figure is measured next to its floor in the same run, so the ratios do not depend on which
GPU ran it: `one read` is the median time of one sum over the matrix in question, the least any
single pass over it can cost. Figures (full sizes; --cpu-smoke shrinks every size):
- k-center greedy and BADGE at 1M x 512, k = 1,000, fp32 / fp16 / bf16, vs k x one read
  (target <= 1.2x); a plain torch farthest-first loop in the same dtype for comparison;
- every registered scorer at 1M items vs one read of the embeddings;
- rank, top-20 and diverse top-20 of 1M scores on the device (target <= 5 ms);
- a whole round (fit on 1,000 labels, score, rank) at 1M x 512 and 100k x 1280, pool resident
  on the device vs a numpy pool (target <= 0.3 s at 1M x 512 for a single-pass strategy);
- MC-dropout BALD with T = 20 at 1M vs one read (target <= 3x);
- image embedding throughput (MNIST-5k through EfficientNet-Lite0) at 112 and 224 px, fp32 and
  bf16 + channels_last, the network alone and end to end from decoded images.

Results go to bench/results/gpu-check-<gpu>.md and .json (machine, command, every figure and
ratio). A figure that fails is recorded with its error and the run goes on. Imports torch,
numpy, scipy, scikit-learn, the learner and (for the embedding figure) the encoder wheels and
mlxtend: no Django. The tests need pytest and hypothesis as well (and modAL-python for the
modAL parity module; without it that module is reported as a collection error).
"""

import argparse
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench import report

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    n: int  # pool rows for batch selection, scorers and ordering
    d: int  # embedding width there
    k: int  # k-center / BADGE picks
    classes: int
    members: int  # committee size
    rounds: tuple[tuple[int, int], ...]  # (pool rows, width) of the whole-round figures
    labels: int  # labeled rows a round fits on
    passes: int  # MC-dropout passes
    images: int  # images per embedding figure
    image_sizes: tuple[int, ...]
    repeats: int


FULL = Sizes(1_000_000, 512, 1000, 10, 5, ((1_000_000, 512), (100_000, 1280)), 1000, 20, 2048, (112, 224), 5)
SMOKE = Sizes(3000, 32, 10, 4, 3, ((2000, 32), (500, 48)), 60, 4, 8, (32,), 1)


class Timer:
    """Median wall seconds of a callable on one device, synchronising CUDA around each run."""

    def __init__(self, device: torch.device, repeats: int) -> None:
        self.device, self.repeats = device, repeats

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def __call__(self, fn: Callable[[], Any], repeats: int | None = None, warmup: bool = True) -> float:
        if warmup:
            fn()
        times = []
        for _ in range(repeats or self.repeats):
            self.sync()
            start = time.perf_counter()
            fn()
            self.sync()
            times.append(time.perf_counter() - start)
        return float(np.median(times))

    def one_read(self, matrix: torch.Tensor) -> float:
        """The floor for one pass over `matrix`: a float32-accumulated sum of every element."""
        return self(lambda: matrix.sum(dtype=torch.float32), repeats=max(self.repeats, 5))


class Check:
    """Collects figures as rows; a section that raises is recorded with its error, not fatal."""

    def __init__(self, timer: Timer, sizes: Sizes) -> None:
        self.timer, self.sizes = timer, sizes
        self.rows: list[dict[str, Any]] = []
        self.errors: dict[str, str] = {}

    def add(self, section: str, figure: str, seconds: float | None, floor: float | None = None, **extra: Any) -> None:
        row: dict[str, Any] = {"section": section, "figure": figure}
        row["ms"] = None if seconds is None else round(1e3 * seconds, 3)
        row["floor ms"] = None if floor is None else round(1e3 * floor, 3)
        row["x floor"] = None if seconds is None or not floor else round(seconds / floor, 2)
        row.update(extra)
        self.rows.append(row)
        print(row, flush=True)

    def section(self, name: str, run: Callable[["Check"], None]) -> None:
        started = time.perf_counter()
        try:
            run(self)
        except Exception as exc:  # a bench boundary: record the failure, measure the rest
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        print(f"-- {name}: {time.perf_counter() - started:.1f} s", flush=True)


def run_tests(path: str) -> dict[str, Any]:
    """pytest -m gpu on `path`, without the Django conftest above tests/learner.

    A test module whose imports are missing on a bare GPU machine (modAL for the parity tests)
    is reported as a collection error; the gpu tests of the other modules still run.
    """
    command = [sys.executable, "-m", "pytest", "-m", "gpu", path, "-q", "-p", "no:cacheprovider", "-p", "no:django",
               "--confcutdir", str(ROOT / "tests" / "learner"), "-o", "addopts=-ra",
               "--continue-on-collection-errors"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
    print("\n".join(tail), flush=True)
    seconds = round(time.perf_counter() - started, 1)
    summary = tail[-1] if tail else ""
    return {"command": " ".join(command[1:]), "returncode": done.returncode, "seconds": seconds, "summary": summary}


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu-smoke", action="store_true", help="tiny sizes on the CPU: check the script itself")
    parser.add_argument("--skip-tests", action="store_true", help="measure only; do not run pytest -m gpu")
    parser.add_argument("--tests", default="tests/learner", help="what pytest -m gpu collects")
    parser.add_argument("--out", type=Path, default=report.RESULTS, help="folder for the .md and .json")
    parser.add_argument("--only", nargs="*", help="run only these sections")
    args = parser.parse_args(argv)
    if not args.cpu_smoke and not torch.cuda.is_available():
        parser.error(
            f"no CUDA device: torch {torch.__version__} (CUDA build: {torch.version.cuda or 'none'}) sees no GPU. "
            "Run this on a GPU machine, or pass --cpu-smoke for a tiny end-to-end run on the CPU."
        )
    from bench.gpu_figures import SECTIONS  # after the device check: a clear error first

    device = torch.device("cpu" if args.cpu_smoke else "cuda")
    sizes = SMOKE if args.cpu_smoke else FULL
    gpu = "cpu-smoke" if args.cpu_smoke else torch.cuda.get_device_name(device)
    started = time.perf_counter()
    tests = {"skipped": True} if args.skip_tests else run_tests(args.tests)
    check = Check(Timer(device, sizes.repeats), sizes)
    for name, run in SECTIONS.items():
        if not args.only or name in args.only:
            check.section(name, run)
    summary = {
        "gpu": gpu,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "sizes": asdict(sizes),
        "gpu tests": tests,
        "failed sections": check.errors or "none",
        "wall seconds": round(time.perf_counter() - started, 1),
    }
    slug = re.sub(r"[^a-z0-9]+", "-", gpu.lower()).strip("-")
    report.RESULTS = args.out
    ran = " ".join(["python -m bench.gpu_check", *(sys.argv[1:] if argv is None else argv)])
    path = report.write(f"gpu-check-{slug}", check.rows, summary, ran=ran)
    print(f"wrote {path}", flush=True)
    return path


if __name__ == "__main__":
    main()
