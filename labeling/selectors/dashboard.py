"""What the admin's dashboard reads: accuracy per version with its interval, random's curve from the
latest replay, what a queued retrain waits for, and whether anything still runs (to stop polling)."""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from labeling.charts import ChartPoint
from labeling.models import EmbeddingSet, Label, ModelVersion, Project, Skip, StrategyReplay
from labeling.selectors.agreement import ProjectAgreement, project_agreement
from learner.stopping import Advice, CurveFit, Projection, advise, fit_learning_curve, stability_series, wilson_interval


def accuracy_points(*, project: Project) -> list[ChartPoint]:
    """One point per finished version with evaluation items: accuracy and its 95% interval."""
    points = []
    versions = ModelVersion.objects.filter(project=project, status=ModelVersion.Status.DONE).order_by("number")
    for version in versions:
        accuracy, n = version.metrics.get("eval_accuracy"), int(version.metrics.get("n_eval") or 0)
        if accuracy is None or n == 0:
            continue
        low, high = wilson_interval(round(accuracy * n), n)
        points.append(ChartPoint(version.number, version.labels_used, float(accuracy), low, high))
    return points


def random_curve(*, replay: StrategyReplay | None) -> list[tuple[int, float]]:
    """Random sampling's mean accuracy per label count over the replay's seeds; [] without a replay."""
    if replay is None or replay.status != StrategyReplay.Status.DONE:
        return []
    by_labels: dict[int, list[float]] = defaultdict(list)
    for curve in replay.result.get("curves", []):
        if curve.get("strategy") == "random":
            for labels, accuracy in zip(curve["labels"], curve["accuracy"], strict=True):
                by_labels[int(labels)].append(float(accuracy))
    return [(labels, float(np.mean(values))) for labels, values in sorted(by_labels.items())]


def retrain_waits_for(*, version: ModelVersion) -> str:
    """For a queued retrain: how long it has waited and what the workers are busy with."""
    waited = timezone.now() - version.created_at
    busy = []
    for other in ModelVersion.objects.filter(status=ModelVersion.Status.RUNNING).select_related("project"):
        busy.append(f"retrain v{other.number} of {other.project.name}")
    for embedding in EmbeddingSet.objects.filter(status=EmbeddingSet.Status.COMPUTING).select_related("project"):
        busy.append(f"embedding {embedding.project.name} ({embedding.done:,} / {embedding.total:,} items)")
    for replay in StrategyReplay.objects.filter(status=StrategyReplay.Status.RUNNING).select_related("project"):
        busy.append(f"strategy replay of {replay.project.name}")
    minutes = int(waited.total_seconds() // 60)
    since = f"Queued {minutes} min ago" if minutes else f"Queued {int(waited.total_seconds())} s ago"
    if not busy:
        return f"{since}, waiting for a free worker (is one running with the gpu queue?)."
    return f"{since}, waiting for a worker busy with: " + "; ".join(busy) + "."


def dashboard_active(*, project: Project) -> bool:
    """Whether anything the dashboard shows is still changing: a retrain, a replay or an embedding."""
    return (
        ModelVersion.objects.filter(project=project, status__in=ModelVersion.ACTIVE_STATUSES).exists()
        or StrategyReplay.objects.filter(project=project, status__in=StrategyReplay.ACTIVE_STATUSES).exists()
        or EmbeddingSet.objects.filter(Q(project=project), status=EmbeddingSet.Status.COMPUTING).exists()
    )


@dataclass(frozen=True)
class AnnotatorRow:
    annotator_id: int
    username: str
    labels: int  # answers that count as labels (gold items' do not)
    median_seconds: float | None
    skips: int
    skip_rate: float  # skips / (labels + skips)
    known: int  # labeled items whose class was known at import (evaluation-style check), gold items aside
    known_correct: int
    shared: int = 0  # answers compared with a colleague's on the same item, one per colleague
    shared_agreeing: int = 0  # ... where the colleague gave the same class
    kappa: float | None = None  # their Cohen's kappa with colleagues, weighted by items shared
    gold: int = 0  # gold items answered
    gold_correct: int = 0

    @property
    def agreement(self) -> float | None:
        return self.shared_agreeing / self.shared if self.shared else None

    @property
    def known_accuracy(self) -> float | None:
        return self.known_correct / self.known if self.known else None

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold if self.gold else None


def annotator_rows(*, project: Project, agreement: ProjectAgreement | None = None) -> list[AnnotatorRow]:
    """Who labeled what: per annotator their labels, pace, skips, accuracy where the class is known
    and on gold items, and agreement with colleagues (`agreement`, computed here if not given)."""
    labels = Label.objects.filter(item__project=project)
    per_user: dict[int, list[tuple[int, bool | None]]] = defaultdict(list)
    gold: dict[int, list[bool]] = defaultdict(list)
    for user_id, duration, class_id, gold_id, is_gold in labels.values_list(
        "annotator_id", "duration_ms", "label_class_id", "item__gold_class_id", "item__gold"
    ):
        if is_gold:
            gold[user_id].append(class_id == gold_id)
        else:
            per_user[user_id].append((duration, None if gold_id is None else class_id == gold_id))
    skips = dict(Skip.objects.filter(item__project=project).values("annotator").annotate(n=Count("id"))
                 .values_list("annotator", "n"))  # fmt: skip
    names = dict(get_user_model().objects.filter(pk__in={*per_user, *skips, *gold}).values_list("pk", "username"))
    agreement = agreement or project_agreement(project=project)
    rows = []
    for user_id in sorted(names, key=lambda pk: names[pk]):
        answers = per_user.get(user_id, [])
        durations = [d for d, _ in answers if d > 0]
        known = [ok for _, ok in answers if ok is not None]
        n_skips = skips.get(user_id, 0)
        mine = agreement.per_annotator.get(user_id)
        rows.append(AnnotatorRow(
            user_id, names[user_id], len(answers),
            float(np.median(durations)) / 1000 if durations else None,
            n_skips, n_skips / (len(answers) + n_skips) if answers or n_skips else 0.0,
            len(known), sum(known),
            mine.compared if mine else 0, mine.agreed if mine else 0, mine.kappa if mine else None,
            len(gold[user_id]), sum(gold[user_id]),
        ))  # fmt: skip
    return rows


@dataclass(frozen=True)
class CurveOutlook:
    """What the learning curve fitted to the versions' points says lies ahead."""

    budget: int
    at_budget: Projection  # the metric at the budget, with its bootstrap band
    target: float | None  # the project's target score
    needed: tuple[int | None, int | None, int | None]  # labels to the target: fit, low, high; None: never
    reached_by: int | None  # the first version that already reached the target
    ceiling: float  # the fitted curve's asymptote: what unlimited labels would give
    samples: list[tuple[int, float, float, float]]  # (labels, value, low, high) along the curve, for the chart


def curve_fit(*, project: Project, points: list[ChartPoint]) -> CurveFit:
    """The inverse power law fitted to the versions' points, weighted by their evaluation items."""
    if not points:
        return fit_learning_curve([], [])
    n_eval = int(ModelVersion.objects.get(project=project, number=points[-1].version).metrics.get("n_eval") or 1)
    return fit_learning_curve([p.labels for p in points], [p.value for p in points], n_eval=n_eval, seed=project.seed)


def curve_outlook(*, project: Project, points: list[ChartPoint], fit: CurveFit) -> CurveOutlook | None:
    """The projection to the budget and to the target; None until the curve can be fitted."""
    at_budget = fit.projected_accuracy(project.label_budget)
    if at_budget is None or not points:
        return None
    target = project.target_score
    reached = next((p.version for p in points if target is not None and p.value >= target), None)
    end = max(project.label_budget, points[-1].labels)
    steps = np.unique(np.linspace(points[-1].labels, end, 48).round().astype(int))  # the projection ahead
    samples = []
    for n in steps:
        band = fit.projected_accuracy(int(n))
        if band is not None:
            samples.append((int(n), band.value, band.low, band.high))
    needed = fit.labels_needed(target) if target is not None else (None, None, None)
    ceiling = fit.law.a if fit.law is not None else at_budget.value
    return CurveOutlook(project.label_budget, at_budget, target, needed, reached, ceiling, samples)


def stopping_advice(*, project: Project, points: list[ChartPoint], fit: CurveFit | None = None) -> Advice:
    """One sentence on what the next labels buy: the measured gain of the last versions, the fitted
    learning curve's projection to the budget, and how many stop-set predictions still change."""
    if not points:
        return advise([], [], n_eval=1)
    versions = {
        v.number: v.metrics.get("stop_set") or {}
        for v in ModelVersion.objects.filter(project=project, number__in=[p.version for p in points])
    }
    with_stop = [p for p in points if versions.get(p.version, {}).get("ids")]
    stability = None
    if len(with_stop) >= 2:
        common = set.intersection(*(set(versions[p.version]["ids"]) for p in with_stop))
        predictions = []
        for p in with_stop:
            stop = versions[p.version]
            predictions.append([c for i, c in zip(stop["ids"], stop["predicted"], strict=True) if i in common])
        if common:
            stability = stability_series([p.labels for p in with_stop], predictions)
    n_eval = int(ModelVersion.objects.get(project=project, number=points[-1].version).metrics.get("n_eval") or 1)
    return advise([p.labels for p in points], [p.value for p in points], n_eval=n_eval,
                  budget=project.label_budget, stability=stability, fit=fit, seed=project.seed)  # fmt: skip
