"""Part 1: the curve rule replayed on the saved learning curves (nothing is retrained)."""

import json
from collections.abc import Sequence
from concurrent.futures import Executor
from functools import partial
from typing import Any

import numpy as np

from bench.report import RESULTS
from bench.stopping import N_TEST, WHERE, advice_stop, where
from learner.simulation import Curve, curve_name, summarise

STRATEGIES = ("random", "margin", "entropy", "coreset", "badge", "entropy, no diversity")  # learning curves' --light


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
    return advice_stop(run.labels, run.accuracy, n_eval=n_eval)


def _row(
    dataset: str, batch: int, name: str, runs: list[Curve], stops: list[int | None], l95: int | None,
    l99: int | None, full: float,
) -> dict[str, Any]:  # fmt: skip
    at = [run.labels[i] for run, i in zip(runs, stops, strict=True) if i is not None]
    acc = [run.accuracy[i] for run, i in zip(runs, stops, strict=True) if i is not None]
    end = max(run.labels[-1] for run in runs)
    counts = dict.fromkeys(WHERE, 0)
    for i, run in zip(stops, runs, strict=True):
        counts[where(None if i is None else run.labels[i], l95, l99)] += 1
    return {
        "dataset": dataset,
        "batch": batch,
        "strategy": name,
        "seeds": len(runs),
        "rule stops at (median, range)": f"{int(np.median(at))} ({min(at)}-{max(at)})" if at else f"never (> {end})",
        "labels to 95%": l95 if l95 is not None else f"> {end}",
        "labels to 99%": l99 if l99 is not None else f"> {end}",
        "stops before 95% / 95-99% / after 99% / never": "/".join(str(v) for v in counts.values()),
        "accuracy at stop": f"{np.mean(acc):.3f}" if acc else "",
        "of full pool": f"{np.mean(acc) / full:.1%}" if acc else "",
        "full pool": f"{full:.3f}",
    }
