"""What the annotator's page shows besides the item: the model's view of each held item, and a
status line that tells the truth (budget, the annotator's own pace, the retrain in progress)."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.utils import timezone

from labeling.explanations import why_audit, why_chosen, why_cold_start
from labeling.models import Assignment, EmbeddingSet, ItemScore, Label, ModelVersion, Project, Skip
from labeling.selectors.projects import labels_spent


@dataclass(frozen=True)
class ModelView:
    version: int | None
    strategy: str
    rank: int | None
    top_classes: list[list[object]]  # [[class name, probability], ...], best first; [] before any model
    why: str


def model_views(*, project: Project, assignments: list[Assignment]) -> dict[int, ModelView]:
    """The model's view of each assigned item, keyed by item id, in two queries."""
    versions = {a.model_version_id for a in assignments if a.model_version_id}
    scores = {
        (s.model_version_id, s.item_id): s
        for s in ItemScore.objects.filter(
            model_version_id__in=versions, item_id__in=[a.item_id for a in assignments]
        )
    }
    # The typical-first order is set once the encoder's embeddings are all in (labeling.tasks); until then
    # the cold start is the seeded random order, and the page must not say otherwise.
    typical_order = bool(project.encoder) and EmbeddingSet.objects.filter(
        project=project, encoder=project.encoder, view=0, status=EmbeddingSet.Status.READY
    ).exists()
    views = {}
    for assignment in assignments:
        version = assignment.model_version
        score = scores.get((assignment.model_version_id, assignment.item_id)) if version else None
        if assignment.item.audit:
            views[assignment.item_id] = ModelView(None, "audit", None, [], why_audit())
            continue
        if version is None or score is None:
            typical = typical_order and assignment.item.cold_rank < project.retrain_every
            views[assignment.item_id] = ModelView(None, "cold start", None, [], why_cold_start(typical=typical))
            continue
        n_ranked = int(version.metrics.get("n_pool") or score.rank + 1)
        views[assignment.item_id] = ModelView(
            version.number, version.strategy, score.rank, score.top_classes,
            why_chosen(strategy=version.strategy, rank=score.rank, n_ranked=n_ranked, top_classes=score.top_classes),
        )  # fmt: skip
    return views


@dataclass(frozen=True)
class AnnotationStatus:
    labels_spent: int
    label_budget: int
    mine_today: int
    mine_total: int
    skips: dict[str, int]  # this annotator's skips per reason
    retrain: ModelVersion | None  # queued or running
    serving: ModelVersion | None  # the newest finished version: it picks the items

    @property
    def budget_reached(self) -> bool:
        return self.labels_spent >= self.label_budget


def _midnight() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def annotation_status(*, project: Project, annotator: AbstractBaseUser) -> AnnotationStatus:
    mine = Label.objects.filter(item__project=project, annotator=annotator)
    skips = Skip.objects.filter(item__project=project, annotator=annotator).values("reason").annotate(n=Count("id"))
    skips = skips.order_by("reason")
    versions = ModelVersion.objects.filter(project=project)
    return AnnotationStatus(
        labels_spent=labels_spent(project=project),
        label_budget=project.label_budget,
        mine_today=mine.filter(created_at__gte=_midnight()).count(),
        mine_total=mine.count(),
        skips={row["reason"]: row["n"] for row in skips},
        retrain=versions.filter(status__in=ModelVersion.ACTIVE_STATUSES).order_by("-number").first(),
        serving=versions.filter(status=ModelVersion.Status.DONE).order_by("-number").first(),
    )
