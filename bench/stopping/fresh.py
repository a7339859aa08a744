"""Part 2: fresh runs with a stop set, and where each stopping rule stops on them.

Each run records its predictions on 500 fixed unlabeled pool rows after every batch; three rules
are replayed on it: the paper's kappa rule alone, the curve rule alone (advise without a stop
set), and advise with the stop set, the product's rule. Each run's own curve gives its labels to
95% and 99% of the full-pool accuracy (bench/results/learning-curves-<dataset>-curves.json).
"""

import json
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.learning_curves import dataset_arrays
from bench.report import RESULTS
from bench.stopping import N_TEST, WHERE, advice_stop, stability_stop, where
from learner.simulation import Curve, curve_name, labels_to_reach, simulate
from learner.stopping import stability_series


@dataclass(frozen=True)
class Fresh:
    """Runs on one dataset: batch size, labels every strategy stops at, and where random stops."""

    dataset: str
    batch: int
    budget: int
    random_budget: int  # random runs on, so its labels to 99% is a measurement more often than a bound


FRESH = (  # digits and raw pixels: no encoder; MNIST and Rotten Tomatoes: cached embeddings
    Fresh("digits", 10, 400, 1000),
    Fresh("mnist-5k-pixels", 50, 1000, 1000),
    Fresh("mnist-5k", 50, 1500, 2500),
    Fresh("rotten-tomatoes", 50, 3000, 3000),
)
VARIANTS = (("random", "random", False), ("margin", "typicality", True), ("badge", "typicality", True))
SEEDS = (0, 1)
STOP_SET = 500
RULES = ("kappa alone", "curve alone", "advise (the rule)")


def fresh_runs(pool: Executor, datasets: list[str]) -> list[dict[str, Any]]:
    """One record per run (labels, accuracy, each rule's stop, labels to 95% / 99%), run by `pool`."""
    specs = [(fresh, variant, seed) for fresh in FRESH if fresh.dataset in datasets
             for variant in VARIANTS for seed in SEEDS]  # fmt: skip
    return list(pool.map(_run, specs, chunksize=1))


def _run(spec: tuple[Fresh, tuple[str, str, bool], int]) -> dict[str, Any]:
    fresh, (strategy, start, diverse), seed = spec
    X_pool, y_pool, X_test, y_test = dataset_arrays(fresh.dataset)
    saved = json.loads((RESULTS / f"learning-curves-{fresh.dataset}-curves.json").read_text())
    full = float(saved["full_pool_accuracy"])
    stop_rows = np.random.default_rng(12345).choice(len(X_pool), STOP_SET, replace=False)
    budget = fresh.random_budget if start == "random" else fresh.budget
    run = simulate(X_pool, y_pool, X_test, y_test, strategy=strategy, batch_size=fresh.batch, budget=budget,
                   seed=seed, start=start, diverse=diverse, X_stop=X_pool[stop_rows])  # fmt: skip
    return _record(fresh.dataset, run, full)


def _record(dataset: str, run: Curve, full: float) -> dict[str, Any]:
    steps = stability_series(run.labels, run.stop_predictions)
    n_eval = N_TEST[dataset]
    stops = (
        stability_stop(steps),
        advice_stop(run.labels, run.accuracy, n_eval=n_eval),
        advice_stop(run.labels, run.accuracy, n_eval=n_eval, stability=steps),
    )
    return {
        "dataset": dataset, "batch": run.batch_size, "strategy": curve_name(run), "seed": run.seed, "full": full,
        "labels": list(run.labels), "accuracy": list(run.accuracy), "kappa": [s.kappa for s in steps],
        "changed": [s.changed for s in steps], "stops": dict(zip(RULES, stops, strict=True)),
        "l95": labels_to_reach(run.labels, run.accuracy, 0.95 * full),
        "l99": labels_to_reach(run.labels, run.accuracy, 0.99 * full),
    }  # fmt: skip


def _stopped(record: dict[str, Any], rule: str) -> int | None:
    i = record["stops"][rule]
    return None if i is None else int(record["labels"][i])


def run_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One table row per run: each rule's stop with the accuracy there, and the stop set at the end."""
    rows = []
    for r in records:
        end = r["labels"][-1]

        def said(rule: str, r: dict[str, Any] = r, end: int = end) -> str:
            i = r["stops"][rule]
            return f"never (> {end})" if i is None else f"{r['labels'][i]} ({r['accuracy'][i]:.3f})"

        rows.append({
            "dataset": r["dataset"], "batch": r["batch"], "strategy": r["strategy"], "seed": r["seed"],
            "labels to 95%": r["l95"] if r["l95"] is not None else f"> {end}",
            "labels to 99%": r["l99"] if r["l99"] is not None else f"> {end}",
            **{f"{rule}: stop (accuracy)": said(rule) for rule in RULES},
            "kappa, last 3": " ".join(f"{k:.3f}" for k in r["kappa"][-3:]),
            "changed at the end": f"{r['changed'][-1]:.1%}" if r["changed"] else "",
            "full pool": f"{r['full']:.3f}",
        })  # fmt: skip
    return rows


def strategy_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per dataset and strategy: each seed's stop under each rule, and where it falls."""
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["dataset"], r["batch"], r["strategy"]), []).append(r)
    rows = []
    for (dataset, batch, strategy), runs in groups.items():

        def cell(rule: str, runs: list[dict[str, Any]] = runs) -> str:
            said = []
            for r in runs:
                at = _stopped(r, rule)
                said.append(f"never (> {r['labels'][-1]})" if at is None else f"{at} ({where(at, r['l95'], r['l99'])})")
            return ", ".join(said)

        def reach(key: str, runs: list[dict[str, Any]] = runs) -> str:
            return ", ".join(str(r[key]) if r[key] is not None else f"> {r['labels'][-1]}" for r in runs)

        rows.append({
            "dataset": dataset, "batch": batch, "strategy": strategy, "labels to 95% (per seed)": reach("l95"),
            "labels to 99%": reach("l99"), **{rule: cell(rule) for rule in RULES},
        })  # fmt: skip
    return rows


def tally(records: list[dict[str, Any]]) -> dict[str, str]:
    """Per rule, over every run: how many stop before 95%, 95-99%, after 99%, never."""
    counts = {rule: dict.fromkeys(WHERE, 0) for rule in RULES}
    for r in records:
        for rule in RULES:
            counts[rule][where(_stopped(r, rule), r["l95"], r["l99"])] += 1
    return {rule: ", ".join(f"{key} {n}" for key, n in c.items()) for rule, c in counts.items()}


def early_or_never(records: list[dict[str, Any]], rule: str = RULES[-1]) -> list[str]:
    """One line per run where `rule` stops before the run's 95% point or never: the failures to read."""
    lines = []
    for r in records:
        at, i = _stopped(r, rule), r["stops"][rule]
        said = where(at, r["l95"], r["l99"])
        run = f"{r['dataset']}, batch {r['batch']}, {r['strategy']}, seed {r['seed']}"
        reach = (f"95% at {r['l95'] if r['l95'] is not None else '> ' + str(r['labels'][-1])}, "
                 f"99% at {r['l99'] if r['l99'] is not None else '> ' + str(r['labels'][-1])}")  # fmt: skip
        if said == "before 95%":
            accuracy = r["accuracy"][i]
            lines.append(f"{run}: early, at {at} labels ({accuracy:.3f}, {accuracy / r['full']:.1%} of the full "
                         f"pool; {reach})")  # fmt: skip
        elif said == "never":
            kappas = " ".join(f"{k:.3f}" for k in r["kappa"][-3:])
            lines.append(f"{run}: never within {r['labels'][-1]} labels (kappa at the end {kappas}; {reach})")
    return lines
