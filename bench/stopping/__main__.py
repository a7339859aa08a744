"""python -m bench.stopping: both parts, written to bench/results/stopping.{md,json} (see __init__)."""

import argparse
import json
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import bench.stopping
from bench.report import RESULTS, write
from bench.stopping.fresh import STOP_SET, early_or_never, fresh_runs, run_rows, strategy_rows, tally
from bench.stopping.saved import saved_rows

DATASETS = tuple(bench.stopping.N_TEST)


RULE = (
    "'more labels buy little' when the stop set's predictions have settled (Bloodgood and Vijay-Shanker 2009: mean "
    "kappa of the last 3 successive versions >= 0.99) and the accuracy measured over the last 3 versions is not "
    "clearly climbing (not above 1 point at the low end of its 95% interval). The fitted learning curve (Figueroa "
    "et al. 2012) is shown as a projection (accuracy at the budget, labels for one more point) and does not veto. "
    "Without 3 stop-set comparisons, the curve rule of part 1 decides (learner/stopping/advice.py)"
)
WHY = (
    "replayed on the saved curves (part 1), the curve alone never stops active strategies on digits and MNIST (its "
    "bootstrap band's high end stays above a point on saturating curves) and stops Rotten Tomatoes at 70-860 labels, "
    "at 80-90% of the full pool; on the fresh runs below it stops 3 of 24, one at 300 labels on Rotten Tomatoes "
    "(0.679), and requiring it to agree with the stop set stopped none of 12 in the previous measurement. The stop "
    "set needs no labels and measures what the next labels change, so it decides; the measured gain keeps a visibly "
    "climbing model going (it changed no stop in these 24 runs)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(bench.stopping.__doc__ or "").splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--skip-simulation", action="store_true", help="part 1 only: the saved curves")
    parser.add_argument("--workers", type=int, default=2, help="processes replaying curves and running fresh ones")
    parser.add_argument(
        "--reuse-saved",
        action="store_true",
        help="part 1's rows from the saved stopping.json, when the curve rule has not changed",
    )
    parser.add_argument("--redraw", action="store_true", help="rewrite the markdown from the saved stopping.json")
    args = parser.parse_args()
    if args.redraw:
        saved = json.loads((RESULTS / "stopping.json").read_text())
        summary = {**saved["summary"], "the rule": RULE, "why": WHY}
        runs = saved.get("simulation", {}).get("runs", [])
        print(_render(saved["rows"], summary, runs, ran=f"{saved['command']}, redrawn with --redraw").read_text())
        return
    started = time.perf_counter()
    before = json.loads((RESULTS / "stopping.json").read_text()) if args.reuse_saved else None
    if before is not None:
        rows, cpu_saved = before["rows"], 0.0
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            rows = [row for dataset in args.datasets for row in saved_rows(dataset, pool)]
        cpu_saved = _cpu()
    records = []
    if not args.skip_simulation:
        with ProcessPoolExecutor(args.workers) as pool:
            records = fresh_runs(pool, args.datasets)
    cpu_fresh = _cpu() - cpu_saved
    summary = {
        "the rule": RULE,
        "why": WHY,
        "part 1, the curve rule": "learner.stopping.advise without a stop set nor budget (horizon: twice the current "
        "labels), min gain 1 point, lookback 3 versions; stop = first version it says 'more labels buy little'",
        "labels to 95% / 99%": "of the full-pool accuracy, on the mean curve over seeds (as in learning-curves-*.md)",
        "stops before 95% / ...": "seeds whose stop falls before the mean curve's 95% point, between 95% and 99%, "
        "after 99%, or never within the saved curve",
        "accuracy at stop": "mean over the seeds that stopped",
        "CPU minutes, saved curves": round(cpu_saved / 60, 1)
        if before is None
        else f"{before['summary']['CPU minutes, saved curves']} (part 1 rows reused from the run of {before['date']}: "
        "the curve rule is unchanged)",
        "CPU minutes, fresh runs": round(cpu_fresh / 60, 1),
        "wall minutes": round((time.perf_counter() - started) / 60, 1),
    }
    print(_render(rows, summary, records).read_text())


def _render(rows: list[dict[str, Any]], summary: dict[str, Any], records: list[dict[str, Any]],
            ran: str | None = None) -> Path:  # fmt: skip
    path = write("stopping", rows, summary, ran=ran)
    if records:
        _append_fresh(path, records)
    return path


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the pools' workers, once shut down)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _append_fresh(path: Path, records: list[dict[str, Any]]) -> None:
    """Part 2 in the markdown and the JSON: per dataset and strategy, then per run."""
    by_strategy, by_run, counts = strategy_rows(records), run_rows(records), tally(records)
    data = json.loads((RESULTS / "stopping.json").read_text())
    data["simulation"] = {"stop set": f"{STOP_SET} pool rows, fixed (rng 12345)", "tally": counts,
                          "strategies": by_strategy, "rows": by_run, "runs": records}  # fmt: skip
    (RESULTS / "stopping.json").write_text(json.dumps(data, indent=2) + "\n")
    lines = [
        "",
        "## Fresh runs with a stop set: kappa alone, curve alone, and the rule",
        "",
        f"Stop set: {STOP_SET} unlabeled pool rows, fixed. Kappa alone: the paper's rule (mean kappa of the last 3 "
        "successive-version comparisons >= 0.99). Curve alone: as above (advise without a stop set). The rule: "
        "advise with the stop set, as the dashboard runs it: the kappa rule, unless the measured gain of the last 3 "
        "versions is above a point at the low end of its 95% interval. Labels to 95% / 99%: each run's own curve; "
        "each stop is followed by where it falls against them.",
        "",
        *(f"- {rule}, {len(records)} runs: {said}" for rule, said in counts.items()),
        "",
        *_table(by_strategy),
        "",
        "Where the rule stops before the run's 95% point, or never:",
        "",
        *(f"- {line}" for line in early_or_never(records) or ["none"]),
        "",
        "Per run, with the accuracy at each stop:",
        "",
        *_table(by_run),
    ]
    path.write_text(path.read_text() + "\n".join(lines) + "\n")


def _table(rows: list[dict[str, Any]]) -> list[str]:
    columns = list(rows[0])
    return [
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
        *("| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows),
    ]


if __name__ == "__main__":
    main()
