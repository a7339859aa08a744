"""Strategy replay: which strategy would have saved the most labels on this project's labels?

The labeled items become a simulated pool whose annotator already answered (learner.simulation);
each strategy labels it again from scratch, batch by batch, and is scored on items it never
chose: the project's evaluation split when it has one, else a seeded stratified quarter of the
labeled items held out. It reads labels and features only: the live model, ranking and queue
stay as they are. Runs on the default queue, so a long replay never delays a retrain.
"""

import io
import uuid
from dataclasses import asdict
from datetime import timedelta

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F

from labeling.artifacts import artifact_delete, bytes_save
from labeling.exceptions import InvalidReplayError, ReplayAlreadyActiveError
from labeling.models import Project, StrategyReplay
from labeling.queue import enqueue_replay
from labeling.selectors.replays import labeled_classes
from labeling.selectors.training import training_data_build
from labeling.services.embeddings import embeddings_compute
from labeling.services.projects import project_metric_resolve
from labeling.services.runs import run_claim, run_fail, run_finish, run_sweep
from learner.metrics import majority_baseline
from learner.models.softmax import SoftmaxConfig
from learner.ranking import BASELINE, REGISTRY, STRATEGY_NAMES
from learner.simulation import full_pool_accuracy, recommend, simulate, summarise, typical_start
from learner.simulation.plot import plot_curves
from learner.strategies import StrategyOptions

DEFAULT_STRATEGIES = ("auto", "margin", "entropy", "bald", "density_entropy", "coreset", "badge")
MIN_EVAL_ITEMS = 20  # fewer gold evaluation items than this: hold out labeled items instead
MAX_SEEDS = 10


def replay_request(
    *,
    project: Project,
    requested_by: AbstractBaseUser | None,
    strategies: list[str] | None = None,
    batch_size: int | None = None,
    seeds: int = 3,
) -> StrategyReplay:
    """Queue a replay of `strategies` (default: a few of each family, and the project's own) against random.

    Checks everything it can before queueing, so a bad request costs nothing: known strategy
    names, sizes, and enough labels of at least two classes for two batches.
    """
    chosen = list(dict.fromkeys(strategies or [*DEFAULT_STRATEGIES, project.strategy]))
    unknown = [name for name in chosen if name not in STRATEGY_NAMES]
    if unknown:
        raise InvalidReplayError(f"Unknown strategies {unknown}; known: {', '.join(STRATEGY_NAMES)}.",
                                 {"strategies": unknown})  # fmt: skip
    chosen = [name for name in chosen if not REGISTRY[name].passive]  # random always runs, as the baseline
    batch_size = batch_size or project.retrain_every
    if batch_size < 1 or not 1 <= seeds <= MAX_SEEDS:
        raise InvalidReplayError(f"Need batch_size >= 1 and 1 <= seeds <= {MAX_SEEDS}, got {batch_size} and {seeds}.",
                                 {"batch_size": batch_size, "seeds": seeds})  # fmt: skip
    labeled = labeled_classes(project=project)
    if len(set(labeled)) < 2 or len(labeled) < 2 * batch_size:
        raise InvalidReplayError(
            f"A replay needs labels of at least two classes and at least two batches ({2 * batch_size}); "
            f"project {project.name!r} has {len(labeled)} labels of {len(set(labeled))} classes.",
            {"labels": len(labeled), "classes": len(set(labeled)), "batch_size": batch_size},
        )
    if StrategyReplay.objects.filter(project=project, status__in=StrategyReplay.ACTIVE_STATUSES).exists():
        raise ReplayAlreadyActiveError(f"A replay of project {project.name!r} is already queued or running.",
                                       {"project": project.pk})  # fmt: skip
    try:
        with transaction.atomic():
            replay = StrategyReplay.objects.create(
                project=project, requested_by=requested_by, strategies=chosen, batch_size=batch_size, seeds=seeds,
                runs_total=(len(chosen) + 1) * seeds,
            )  # fmt: skip
    except IntegrityError as exc:  # a concurrent request won the race
        raise ReplayAlreadyActiveError(f"A replay of project {project.name!r} is already queued or running.",
                                       {"project": project.pk}) from exc  # fmt: skip
    enqueue_replay(replay.pk)
    return replay


def replay_claim(*, replay_id: int) -> StrategyReplay | None:
    """Move a queued replay to running; None if another worker has it or it is over."""
    return run_claim(StrategyReplay, pk=replay_id, runs_done=0)


def replay_run(*, replay: StrategyReplay, device: str) -> StrategyReplay:
    """Replay every strategy and random over the labeled items; store curves, table, advice and plot."""
    project = replay.project
    if project.encoder:
        embeddings_compute(project=project, device=device)  # a no-op once every item is embedded
    X_pool, y_pool, X_test, y_test, test_source = _replay_split(project)
    config = SoftmaxConfig(members=project.committee_size)
    options = StrategyOptions(density_beta=project.density_beta)
    budget = len(y_pool)
    curves = []
    metric = project_metric_resolve(project=project, labels=[*y_pool, *y_test])
    plan = [(BASELINE, "random")] + [(name, "typicality") for name in replay.strategies]
    seeds = [project.seed + offset for offset in range(replay.seeds)]
    typical = {seed: typical_start(X_pool, replay.batch_size, seed) for seed in seeds} if replay.strategies else {}
    for strategy, start in plan:
        for seed in seeds:
            curves.append(simulate(
                X_pool, y_pool, X_test, y_test, strategy=strategy, batch_size=replay.batch_size, budget=budget,
                seed=seed, start=start, diverse=project.diverse_batches, config=config, options=options,
                device=device, typical=typical[seed] if start == "typicality" else None, metric=metric,
            ))  # fmt: skip
            StrategyReplay.objects.filter(pk=replay.pk).update(runs_done=F("runs_done") + 1)
    full = full_pool_accuracy(X_pool, y_pool, X_test, y_test, seeds=replay.seeds, config=config, device=device,
                              metric=metric)
    summaries = summarise(curves, full)
    advice = recommend(summaries, full)
    plot = io.BytesIO()
    title = f"{project.name}: {budget} labels replayed, batch {replay.batch_size}, {replay.seeds} seeds"
    plot_curves(summaries, full_accuracy=full, out=plot, fmt="svg", title=title, metric=metric)
    plot_name = f"project-{project.pk}/replay-{replay.pk}-{uuid.uuid4().hex[:12]}.svg"
    bytes_save(plot_name, plot.getvalue())
    result = {
        "recommendation": {"strategy": advice.strategy, "reason": advice.reason},
        "metric": metric, "majority_baseline": majority_baseline(y_pool, y_test, metric),
        "full_pool_accuracy": full, "labels": budget, "test_items": len(y_test), "test_source": test_source,
        "caveat": "The replayed items are the ones your team labeled, chosen by the live strategy; "
                  "a strategy that chose them may look better here than on a fresh pool.",
        "summaries": [asdict(s) for s in summaries],
        "curves": [c.as_dict() for c in curves],
    }  # fmt: skip
    if not run_finish(StrategyReplay, pk=replay.pk, result=result, plot_name=plot_name):
        # failed or taken back meanwhile: nothing points at the plot
        artifact_delete(plot_name)
    replay.refresh_from_db()
    return replay


def _replay_split(project: Project) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """(X_pool, y_pool, X_test, y_test, where the test items come from)."""
    data = training_data_build(project=project)
    y_train, y_eval = np.asarray(data.y_train).astype(str), np.asarray(data.y_eval).astype(str)
    if len(y_eval) >= MIN_EVAL_ITEMS and len(set(y_eval)) >= 2:
        return data.X_train, y_train, data.X_eval, y_eval, f"the project's {len(y_eval)} evaluation items"
    rng = np.random.default_rng(project.seed)
    test = np.concatenate([rng.permutation(np.flatnonzero(y_train == c))[: len(np.flatnonzero(y_train == c)) // 4]
                           for c in np.unique(y_train)])  # fmt: skip
    pool = np.setdiff1d(np.arange(len(y_train)), test)
    X = data.X_train
    return X[pool], y_train[pool], X[test], y_train[test], f"{len(test)} labeled items held out (a stratified quarter)"


def replay_fail(*, replay_id: int, error: BaseException | str) -> None:
    run_fail(StrategyReplay, pk=replay_id, error=error)


def replay_sweep(*, stale_after: timedelta) -> list[int]:
    """Fail the running replays whose worker stopped beating, and send again queued ones whose
    message was lost; returns the ids failed. A replay is advice, not a record anyone waits on,
    so a lost one is never redone (no attempts allowed past the first): the project is freed and
    staff may start it again."""
    return run_sweep(
        StrategyReplay,
        stale_after=stale_after,
        max_attempts=0,
        send=lambda replay: enqueue_replay(replay.pk),
        give_up_hint="start the replay again.",
    ).failed
