"""Would the stopping advice have stopped at the right place? Checked on saved learning curves.

Part 1, the curve rule (learner.stopping.advise without a stop set): replayed on every saved
curve of bench/results/learning-curves-<dataset>-curves.json (nothing is retrained). After each
version the rule sees only the points so far; the first version where it says "more labels buy
little" is where it would have stopped. With no budget the horizon is twice the current labels:
"would doubling the labels add a point?". Compared, per dataset, batch size and strategy, with
the labels the mean curve needs for 95% and 99% of the full-pool accuracy (as in
learning-curves-<dataset>.md) and with the accuracy at the stop.

Part 2, stabilizing predictions (Bloodgood and Vijay-Shanker 2009): the saved curves hold no
predictions, so a few fresh runs (learner.simulation.simulate with X_stop) record each version's
predictions on a fixed stop set of 500 unlabeled pool rows; the paper's rule (mean kappa of the
last 3 comparisons >= 0.99), the curve rule, and both together (advise with the stop set) are
replayed on them.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python -m bench.stopping
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python -m bench.stopping --skip-simulation   # part 1 only
"""

import argparse
import json
import resource
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import partial
from typing import Any

import numpy as np

from bench.learning_curves import dataset_arrays
from bench.report import RESULTS, write
from learner.simulation import Curve, curve_name, labels_to_reach, simulate, summarise
from learner.stopping import (
    BUY_LITTLE,
    MIN_POINTS,
    StabilityStep,
    advise,
    fit_learning_curve,
    measured_gain,
    stability_series,
    stabilized_at,
)

DATASETS = ("digits", "mnist-5k", "mnist-5k-pixels", "rotten-tomatoes", "mnist-5k-duplicates")
N_TEST = {  # held-out items behind every accuracy: bench/learning_curves.py's _split sizes
    "digits": 400, "mnist-5k": 1000, "mnist-5k-pixels": 1000, "rotten-tomatoes": 2000, "mnist-5k-duplicates": 1000,
}  # fmt: skip
MIN_GAIN = 0.01  # advise's default: one accuracy point
N_BOOT = 100  # refits per band (advise uses 200): thousands of versions are replayed here
STRATEGIES = ("random", "margin", "entropy", "coreset", "badge", "entropy, no diversity")  # learning curves' --light
SIMULATIONS = (  # (dataset, batch size, budget): cheap pools only (no encoder to run)
    ("digits", 10, 400),
    ("mnist-5k-pixels", 50, 1000),
)
SIM_VARIANTS = (("random", "random", False), ("margin", "typicality", True), ("badge", "typicality", True))
SIM_SEEDS = (0, 1)
STOP_SET = 500


def curve_stop(
    labels: Sequence[int], accuracy: Sequence[float], *, n_eval: int, stability: Sequence[StabilityStep] | None = None
) -> int | None:
    """Index of the first version at which advise() says "more labels buy little"; None if never.

    The full advice (with its bootstrap band) is only computed where a cheap look cannot settle
    it: the band always holds the fit, so a fit alone that projects >= MIN_GAIN, or a measured
    gain above MIN_GAIN at its low end, already means "labels still pay". `stability[i]` compares
    version i + 1 with version i.
    """
    for k in range(MIN_POINTS, len(labels) + 1):
        seen, scores = labels[:k], accuracy[:k]
        quick = fit_learning_curve(seen, scores, n_eval=n_eval, n_boot=0)
        gain = quick.projected_gain(int(seen[-1]), 2 * int(seen[-1]))
        if gain is not None and gain.value >= MIN_GAIN:
            continue
        measured, half, _ = measured_gain(seen, scores, n_eval=n_eval)
        if measured - half > MIN_GAIN:
            continue
        steps = None if stability is None else stability[: k - 1]
        fit = fit_learning_curve(seen, scores, n_eval=n_eval, n_boot=N_BOOT)
        if advise(seen, scores, n_eval=n_eval, stability=steps, fit=fit, min_gain=MIN_GAIN).verdict == BUY_LITTLE:
            return k - 1
    return None


def stability_stop(steps: Sequence[StabilityStep]) -> int | None:
    """Index of the version at which the paper's rule first holds; None if never."""
    at = stabilized_at([step.kappa for step in steps])
    return None if at is None else at + 1  # steps[i] compares version i + 1 with version i


# --- Part 1: the saved curves ------------------------------------------------------------------


def saved_rows(dataset: str, pool: Executor, strategies: Sequence[str] = STRATEGIES) -> list[dict[str, Any]]:
    """One row per (batch size, strategy) of the dataset's saved curves; `pool` replays the curves."""
    saved = json.loads((RESULTS / f"learning-curves-{dataset}-curves.json").read_text())
    full = float(saved["full_pool_accuracy"])
    curves = [Curve(**{**c, "labels": tuple(c["labels"]), "accuracy": tuple(c["accuracy"])}) for c in saved["curves"]]
    reach = {(s.name, s.batch_size): s for s in summarise(curves, full)}
    groups: dict[tuple[str, int], list[Curve]] = {}
    for curve in curves:
        if curve_name(curve) not in strategies:
            continue
        groups.setdefault((curve_name(curve), curve.batch_size), []).append(curve)
    rows = []
    ordered = sorted(groups.items(), key=lambda item: (item[0][1], item[0][0] != "random", item[0]))
    every = [run for _, runs in ordered for run in runs]
    found = iter(pool.map(partial(_stop_of, n_eval=N_TEST[dataset]), every, chunksize=1))
    for (name, batch), runs in ordered:
        stops = [next(found) for _ in runs]
        summary = reach[(name, batch)]
        rows.append(_row(dataset, batch, name, runs, stops, summary.labels_95, summary.labels_99, full))
    return rows


def _stop_of(run: Curve, *, n_eval: int) -> int | None:
    return curve_stop(run.labels, run.accuracy, n_eval=n_eval)


def _row(
    dataset: str, batch: int, name: str, runs: list[Curve], stops: list[int | None], l95: int | None,
    l99: int | None, full: float,
) -> dict[str, Any]:  # fmt: skip
    at = [run.labels[i] for run, i in zip(runs, stops, strict=True) if i is not None]
    acc = [run.accuracy[i] for run, i in zip(runs, stops, strict=True) if i is not None]
    end = max(run.labels[-1] for run in runs)
    where = {"before 95%": 0, "95-99%": 0, "after 99%": 0, "never": 0}
    for i, run in zip(stops, runs, strict=True):
        if i is None:
            where["never"] += 1
        elif l95 is None or run.labels[i] < l95:
            where["before 95%"] += 1
        elif l99 is None or run.labels[i] < l99:
            where["95-99%"] += 1
        else:
            where["after 99%"] += 1
    return {
        "dataset": dataset,
        "batch": batch,
        "strategy": name,
        "seeds": len(runs),
        "rule stops at (median, range)": f"{int(np.median(at))} ({min(at)}-{max(at)})" if at else f"never (> {end})",
        "labels to 95%": l95 if l95 is not None else f"> {end}",
        "labels to 99%": l99 if l99 is not None else f"> {end}",
        "stops before 95% / 95-99% / after 99% / never": "/".join(str(v) for v in where.values()),
        "accuracy at stop": f"{np.mean(acc):.3f}" if acc else "",
        "of full pool": f"{np.mean(acc) / full:.1%}" if acc else "",
        "full pool": f"{full:.3f}",
    }


# --- Part 2: fresh runs with a stop set ---------------------------------------------------------


def simulation_rows() -> tuple[list[dict[str, Any]], float]:
    """One row per fresh run; and the CPU seconds they took."""
    started = time.process_time()
    rows = []
    for dataset, batch, budget in SIMULATIONS:
        X_pool, y_pool, X_test, y_test = dataset_arrays(dataset)
        full = float(json.loads((RESULTS / f"learning-curves-{dataset}-curves.json").read_text())["full_pool_accuracy"])
        stop_rows = np.random.default_rng(12345).choice(len(X_pool), STOP_SET, replace=False)
        for strategy, start, diverse in SIM_VARIANTS:
            for seed in SIM_SEEDS:
                run = simulate(X_pool, y_pool, X_test, y_test, strategy=strategy, batch_size=batch, budget=budget,
                               seed=seed, start=start, diverse=diverse, X_stop=X_pool[stop_rows])  # fmt: skip
                rows.append(_simulated_row(dataset, run, full))
    return rows, time.process_time() - started


def _simulated_row(dataset: str, run: Curve, full: float) -> dict[str, Any]:
    steps = stability_series(run.labels, run.stop_predictions)
    n_eval = N_TEST[dataset]
    stops = {
        "stabilizing predictions": stability_stop(steps),
        "curve rule": curve_stop(run.labels, run.accuracy, n_eval=n_eval),
        "both (advise)": curve_stop(run.labels, run.accuracy, n_eval=n_eval, stability=steps),
    }

    def said(i: int | None) -> str:
        return f"never (> {run.labels[-1]})" if i is None else f"{run.labels[i]} ({run.accuracy[i]:.3f})"

    l95 = labels_to_reach(run.labels, run.accuracy, 0.95 * full)
    l99 = labels_to_reach(run.labels, run.accuracy, 0.99 * full)
    return {
        "dataset": dataset,
        "batch": run.batch_size,
        "strategy": curve_name(run),
        "seed": run.seed,
        "labels to 95%": l95 if l95 is not None else f"> {run.labels[-1]}",
        "labels to 99%": l99 if l99 is not None else f"> {run.labels[-1]}",
        **{f"{rule}: stop (accuracy)": said(i) for rule, i in stops.items()},
        "kappa, last 3": " ".join(f"{step.kappa:.3f}" for step in steps[-3:]),
        "changed at the end": f"{steps[-1].changed:.1%}" if steps else "",
        "full pool": f"{full:.3f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--skip-simulation", action="store_true", help="part 1 only: the saved curves")
    parser.add_argument("--workers", type=int, default=2, help="processes replaying the saved curves")
    args = parser.parse_args()
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = [row for dataset in args.datasets for row in saved_rows(dataset, pool)]
    cpu_saved = _children_cpu()
    simulated, cpu_sim = ([], 0.0) if args.skip_simulation else simulation_rows()
    summary = {
        "rule": "learner.stopping.advise without budget (horizon: twice the current labels), min gain 1 point, "
        "lookback 3 versions; stop = first version it says 'more labels buy little'",
        "labels to 95% / 99%": "of the full-pool accuracy, on the mean curve over seeds (as in learning-curves-*.md)",
        "stops before 95% / ...": "seeds whose stop falls before the mean curve's 95% point, between 95% and 99%, "
        "after 99%, or never within the saved curve",
        "accuracy at stop": "mean over the seeds that stopped",
        "CPU minutes, saved curves": round(cpu_saved / 60, 1),
        "CPU minutes, fresh runs": round(cpu_sim / 60, 1),
        "wall minutes": round((time.perf_counter() - started) / 60, 1),
    }
    path = write("stopping", rows, summary)
    if simulated:
        _append_simulation(path, simulated)
    print(path.read_text())


def _children_cpu() -> float:
    """CPU seconds of this process and its finished children (the pool's workers, once shut down)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _append_simulation(path: Any, rows: list[dict[str, Any]]) -> None:
    """A second table, in the markdown and the JSON: the fresh runs with a stop set."""
    data = json.loads((RESULTS / "stopping.json").read_text())
    data["simulation"] = {"stop set": f"{STOP_SET} pool rows, fixed (rng 12345)", "rows": rows}
    (RESULTS / "stopping.json").write_text(json.dumps(data, indent=2) + "\n")
    columns = list(rows[0])
    lines = [
        "",
        "## Stabilizing predictions: fresh runs with a stop set",
        "",
        f"Stop set: {STOP_SET} unlabeled pool rows, fixed. Stabilizing predictions: the paper's rule (mean kappa "
        "of the last 3 successive-version comparisons >= 0.99). Curve rule: as above. Both: advise with the stop "
        "set (stops only when the curve rule and the kappa rule agree). Labels to 95% / 99%: this run's own curve.",
        "",
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
        *("| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows),
    ]
    path.write_text(path.read_text() + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
