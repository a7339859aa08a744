import random
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan

from labeling.models import Assignment, Item, ItemScore, Label, ModelVersion, Project, Skip
from labeling.selectors.serving import (
    Served,
    first_cold_free_item,
    free_items_come_locked,
    top_free_item,
    uniform_free_item,
    version_serving,
)


def _room(item_ref: str, labels_per_item: int) -> Any:
    """Condition: the item's labels plus open holds are still under `labels_per_item`.

    At 1 (the default) this is two anti-joins, so an ordered scan stops at the first free row
    instead of building the set of all free items first (10 s at 1M items on PostgreSQL; ms this
    way); above 1 it counts per row.
    """
    labels = Label.objects.filter(item=OuterRef(item_ref))
    holds = Assignment.objects.filter(item=OuterRef(item_ref), status=Assignment.Status.OPEN)
    if labels_per_item == 1:
        return ~Exists(labels) & ~Exists(holds)
    return LessThan(_count(labels) + _count(holds), labels_per_item)


def _count(rows: QuerySet[Any]) -> Coalesce:
    return Coalesce(Subquery(rows.order_by().values("item").annotate(n=Count("pk")).values("n")[:1]), 0)


def _free(
    queryset: QuerySet[Any], item_ref: str, annotator: AbstractBaseUser | None, labels_per_item: int = 1
) -> QuerySet[Any]:
    """Keep rows whose item (column `item_ref`) still needs labels (labels plus open holds under
    `labels_per_item`), that `annotator` has not labeled, holds or skipped, that nobody skipped as
    a bad item, and that is not a gold item (those are served by gold_candidate)."""
    skipped = Q(reason=Skip.Reason.BAD) | Q(annotator=annotator) if annotator is not None else Q(reason=Skip.Reason.BAD)
    gold = Item.objects.filter(pk=OuterRef(item_ref), gold=True)
    queryset = queryset.filter(_room(item_ref, labels_per_item))
    queryset = queryset.filter(~Exists(Skip.objects.filter(skipped, item=OuterRef(item_ref))))
    if labels_per_item > 1 and annotator is not None:
        mine = Q(annotator=annotator)
        queryset = queryset.filter(~Exists(Label.objects.filter(mine, item=OuterRef(item_ref)))).filter(
            ~Exists(Assignment.objects.filter(mine, item=OuterRef(item_ref), status=Assignment.Status.OPEN))
        )
    return queryset.filter(~Exists(gold))


def items_available(*, project: Project, annotator: AbstractBaseUser | None = None) -> QuerySet[Item]:
    """Pool items that still need labels and that (given an annotator) they did not label, hold or skip."""
    pool = Item.objects.filter(project=project, split=Item.Split.POOL)
    return _free(pool, "pk", annotator, project.labels_per_item)


def model_version_serving(*, project: Project) -> ModelVersion | None:
    """The newest finished model version: its ranking decides what annotators see. Only its id,
    number, status and labels used are loaded; other fields load when read."""
    return version_serving(project_id=project.pk)


@dataclass(frozen=True)
class Candidate:
    item: Item
    version: ModelVersion | None  # the version whose ranking chose it; None: the cold-start order
    locked: bool  # its row is already locked for the caller's transaction


def next_item_candidate(
    *, project: Project, annotator: AbstractBaseUser | None = None, exclude: Collection[int] = ()
) -> Candidate | None:
    """The best item to ask next: top of the serving ranking, else the cold-start order."""
    return ranked_candidate(
        project=project, version=model_version_serving(project=project), annotator=annotator, exclude=exclude
    )


def ranked_candidate(
    *,
    project: Project,
    version: ModelVersion | None,
    annotator: AbstractBaseUser | None = None,
    exclude: Collection[int] = (),
) -> Candidate | None:
    """The best item to ask next: top of `version`'s ranking (the serving one), else the
    cold-start order.

    With several labels per item, items already started come first, best ranked first, so items
    complete (and resolve) before new ones are opened; a started item the ranking no longer
    scores (it trains on its first label) comes in the cold-start order. `exclude`: item ids to
    pass over (ones another annotator is taking at this moment). In the common case (one label
    per item, a ranking, an annotator) the item comes locked, and items another transaction is
    taking are passed over.
    """
    k = project.labels_per_item
    if k == 1 and annotator is not None:  # the common case, on every item served
        locked = free_items_come_locked()
        if version is not None:
            item = top_free_item(version_id=version.pk, annotator=annotator, exclude=exclude)
            if item is not None:
                return Candidate(item, version, locked=locked)
            version = None  # nothing free (or unlocked) is ranked: the cold-start order
        item = first_cold_free_item(project_id=project.pk, annotator=annotator, exclude=exclude)
        if item is not None:
            return Candidate(item, None, locked=locked)
        # Nothing free and unlocked: below, an item others hold is waited on, in case it has room.
    started = Exists(Label.objects.filter(item=OuterRef("item_id")))
    for only_started in (True, False) if k > 1 else (False,):
        if version is not None:
            ranked = _free(ItemScore.objects.filter(model_version=version), "item_id", annotator, k)
            ranked = ranked.exclude(item_id__in=exclude)
            top = (ranked.filter(started) if only_started else ranked).order_by("rank").select_related("item").first()
            if top is not None:
                return Candidate(top.item, version, locked=False)
        items = items_available(project=project, annotator=annotator).exclude(pk__in=exclude)
        if only_started:
            items = items.filter(Exists(Label.objects.filter(item=OuterRef("pk"))))
        item = items.order_by("cold_rank", "id").first()
        if item is not None:
            return Candidate(item, None, locked=False)
    return None


def audit_due(*, project: Project, served: Served) -> bool:
    """Whether this annotator's next item should be an audit item (only without evaluation items):
    whenever their audit items fall below `audit_fraction` of the ordinary items served to them
    (this one included), rounded down: at 5%, their 20th, 40th, ... items. Counted per annotator,
    not per project, so that serving an item reads only the annotator's own rows; the project's
    share is the same."""
    return served.audit < int(project.audit_fraction * (served.items - served.gold + 1))


def audit_candidate(*, project: Project, annotator: AbstractBaseUser, rng: random.Random) -> Candidate | None:
    """A free pool item drawn uniformly at random (the first free one from a random draw_key on,
    wrapping around), whatever any ranking says."""
    point = rng.random()
    if project.labels_per_item == 1:
        item = uniform_free_item(project_id=project.pk, annotator=annotator, point=point)
        return Candidate(item, None, locked=free_items_come_locked()) if item else None
    available = items_available(project=project, annotator=annotator).order_by("draw_key", "id")
    item = available.filter(draw_key__gte=point).first() or available.first()
    return Candidate(item, None, locked=False) if item else None


def gold_due(*, project: Project, served: Served) -> bool:
    """Whether this annotator's next item should be a gold item (when any are marked): whenever
    their gold items fall below `gold_rate` of the items served to them (this one included),
    rounded down; at 0.1 the 10th, 20th, ... item they are served."""
    return served.gold < int(project.gold_rate * (served.items + 1))


def gold_candidate(*, project: Project, annotator: AbstractBaseUser, rng: random.Random) -> Item | None:
    """A gold item this annotator was never served, drawn at random so annotators meet them in
    different orders; labels_per_item does not apply: every annotator answers each one once."""
    served = Assignment.objects.filter(item=OuterRef("pk"), annotator=annotator)
    skipped = Skip.objects.filter(item=OuterRef("pk"), annotator=annotator)
    answered = Label.objects.filter(item=OuterRef("pk"), annotator=annotator)
    left = list(
        Item.objects.filter(project=project, gold=True)
        .filter(~Exists(served), ~Exists(skipped), ~Exists(answered))
        .values_list("pk", flat=True)
    )
    return Item.objects.get(pk=rng.choice(left)) if left else None
