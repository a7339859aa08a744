"""From learning curves to the numbers people decide by: labels needed, ratio to random, AULC."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from learner.exceptions import LearnerError
from learner.simulation.loop import Curve

BASELINE = "random"


def curve_name(curve: Curve) -> str:
    """How a run reads in tables: the strategy, plus whatever differs from the product's defaults."""
    if curve.strategy == "random":
        return BASELINE if curve.start == "random" else "random + typical start"
    name = curve.strategy if curve.start == "typicality" else f"{curve.strategy} + random start"
    return name if curve.diverse else f"{name}, no diversity"


def labels_to_reach(labels: Sequence[int], accuracy: Sequence[float], target: float) -> int | None:
    """The fewest labels at which `accuracy` reaches `target`; None if it never does."""
    for count, value in zip(labels, accuracy, strict=True):
        if value >= target:
            return int(count)
    return None


def aulc(labels: Sequence[int], accuracy: Sequence[float]) -> float:
    """Area under the learning curve over its label range, divided by that range: the mean
    accuracy a team sees while labeling (1.0 = perfect from the first batch on)."""
    if len(labels) != len(accuracy) or not len(labels):
        raise LearnerError(f"A curve needs as many accuracies as label counts, got {len(labels)} and {len(accuracy)}.")
    if len(labels) == 1:
        return float(accuracy[0])
    x, y = np.asarray(labels, dtype=float), np.asarray(accuracy, dtype=float)
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2 / (x[-1] - x[0]))


@dataclass(frozen=True)
class CurveSummary:
    """One strategy at one batch size, over its seeds."""

    name: str
    batch_size: int
    seeds: int
    labels: tuple[int, ...]  # the common label grid
    mean: tuple[float, ...]  # mean accuracy over seeds at each grid point
    std: tuple[float, ...]  # its spread (population std over seeds)
    labels_95: int | None  # labels the mean curve needs to reach 95% of full-pool accuracy
    labels_99: int | None
    ratio_95: float | None  # labels_95 / random's labels_95; None when either never reaches it
    ratio_99: float | None
    aulc_mean: float
    aulc_std: float
    worse_than_random_at: tuple[int, ...]  # grid points where random's mean beats this mean by more than this std


def summarise(curves: Iterable[Curve], full_accuracy: float) -> list[CurveSummary]:
    """Group runs by (name, batch size), average over seeds and compare each with random.

    Targets are fractions of `full_accuracy`, the accuracy of the same model trained on every
    pool label. Runs of a group are cut to their shortest common length; AULC is taken up to
    the fewest labels any group at that batch size reached, so a baseline run on for longer
    (to measure when it reaches a target) is not credited for its extra labels.
    """
    groups: dict[tuple[str, int], list[Curve]] = defaultdict(list)
    for curve in curves:
        groups[(curve_name(curve), curve.batch_size)].append(curve)
    horizon: dict[int, int] = {}
    for (_, batch_size), runs in groups.items():
        horizon[batch_size] = min(horizon.get(batch_size, 1 << 62), *(run.labels[-1] for run in runs))
    stats = {key: _mean_curve(runs, horizon[key[1]]) for key, runs in groups.items()}
    summaries = []
    for (name, batch_size), (labels, mean, std, areas) in sorted(stats.items()):
        baseline = stats.get((BASELINE, batch_size))
        reach = {q: labels_to_reach(labels, mean, q * full_accuracy) for q in (0.95, 0.99)}
        base_reach = {q: labels_to_reach(baseline[0], baseline[1], q * full_accuracy) if baseline else None
                      for q in (0.95, 0.99)}  # fmt: skip
        worse: tuple[int, ...] = ()
        if baseline is not None and name != BASELINE:
            m = min(len(labels), len(baseline[0]))
            worse = tuple(int(c) for c, a, s, r in zip(labels[:m], mean[:m], std[:m], baseline[1][:m], strict=True)
                          if r - a > s)  # fmt: skip
        summaries.append(CurveSummary(
            name=name, batch_size=batch_size, seeds=len(groups[(name, batch_size)]), labels=tuple(labels),
            mean=tuple(mean), std=tuple(std), labels_95=reach[0.95], labels_99=reach[0.99],
            ratio_95=_ratio(reach[0.95], base_reach[0.95]), ratio_99=_ratio(reach[0.99], base_reach[0.99]),
            aulc_mean=float(np.mean(areas)), aulc_std=float(np.std(areas)), worse_than_random_at=worse,
        ))  # fmt: skip
    return summaries


def _mean_curve(runs: list[Curve], horizon: int) -> tuple[list[int], list[float], list[float], list[float]]:
    m = min(len(run.labels) for run in runs)
    grid = list(runs[0].labels[:m])
    if any(list(run.labels[:m]) != grid for run in runs):
        raise LearnerError(f"Runs of {curve_name(runs[0])!r} at batch size {runs[0].batch_size} differ in label grid.")
    acc = np.array([run.accuracy[:m] for run in runs])  # (seeds, m)
    inside = sum(count <= horizon for count in grid)
    areas = [aulc(grid[:inside], row[:inside]) for row in acc]
    return grid, acc.mean(axis=0).tolist(), acc.std(axis=0).tolist(), areas


def _ratio(labels: int | None, baseline: int | None) -> float | None:
    return None if labels is None or baseline is None else labels / baseline


MIN_LABELS_TO_RECOMMEND = 100  # fewer labels replayed than this: the curves are mostly cold start
MIN_POINTS_TO_RECOMMEND = 4  # a curve of fewer points has no shape to compare


@dataclass(frozen=True)
class Recommendation:
    strategy: str | None  # the winner's name as in the summaries, "random" when nothing beat it, None: too early
    reason: str  # one sentence for the people who pay for the labels


def recommend(summaries: Sequence[CurveSummary], full_accuracy: float) -> Recommendation:
    """The strategy that reached 99% of the full-pool accuracy with the fewest labels (then 95%,
    then the larger AULC), said against random at the same batch size.

    No recommendation (strategy None, and why) when the curves are too short to tell, or when the
    winner's AULC band (mean ± std over seeds) overlaps random's: a difference the seeds alone
    could make is no reason to switch.
    """
    if not summaries:
        raise LearnerError("Nothing to recommend from: no curves.")
    never = 1 << 62

    def key(s: CurveSummary) -> tuple[int, int, float]:
        return (s.labels_99 or never, s.labels_95 or never, -s.aulc_mean)

    best = min(summaries, key=key)
    base = next((s for s in summaries if s.name == BASELINE and s.batch_size == best.batch_size), None)
    if best.labels[-1] < MIN_LABELS_TO_RECOMMEND or len(best.labels) < MIN_POINTS_TO_RECOMMEND:
        return Recommendation(None, f"Too few labels to tell: the curves reach {best.labels[-1]} labels in "
                                    f"{len(best.labels)} points; a replay recommends from {MIN_LABELS_TO_RECOMMEND} "
                                    f"labels and {MIN_POINTS_TO_RECOMMEND} points on.")  # fmt: skip
    target = 0.99 * full_accuracy
    if best.labels_99 is not None:
        reached = (
            f"reached {target:.3f} (99% of the {full_accuracy:.3f} that all labels give) with {best.labels_99} labels"
        )
    else:
        reached = f"never reached {target:.3f} (99% of {full_accuracy:.3f}); best curve, AULC {best.aulc_mean:.3f}"
    if base is None or best.name == BASELINE:
        return Recommendation(best.name, f"No strategy beat random here: random {reached}.")
    if best.aulc_mean - best.aulc_std <= base.aulc_mean + base.aulc_std:
        spread = (f"{best.name}'s AULC {best.aulc_mean:.3f} ± {best.aulc_std:.3f} overlaps random's "
                  f"{base.aulc_mean:.3f} ± {base.aulc_std:.3f} over the seeds")  # fmt: skip
        return Recommendation(None, f"Too close to tell: {spread}. Label more, or replay with more seeds.")
    if base.labels_99 is not None:
        versus = f"random needed {base.labels_99}"
    else:
        versus = f"random had not reached it after {base.labels[-1]}"
    return Recommendation(
        best.name, f"{best.name} {reached}; {versus} (AULC {best.aulc_mean:.3f} vs {base.aulc_mean:.3f})."
    )
