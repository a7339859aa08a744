"""Reviewers' decisions: the class an item in review takes, overriding its annotators' labels.

A decision can be changed; every decision and change is kept in ReviewChange with the class it
replaced. Only items the policy sent to review (or already decided) take a decision, so a
reviewer never silently overrides labels that resolved on their own.
"""

from collections import Counter

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from labeling.exceptions import ItemNotInProjectError, ItemNotInReviewError
from labeling.models import Item, Label, Project, ReviewChange, ReviewDecision
from labeling.selectors.projects import label_class_by_name
from labeling.selectors.resolution import Status, resolve


@transaction.atomic
def review_decide(
    *, project: Project, item_id: int, reviewer: AbstractBaseUser, class_name: str, note: str = ""
) -> ReviewDecision:
    """Decide (or change the decision on) an item in review; two reviewers at once are applied one
    after the other (the item's row is locked), each change kept."""
    pool = Item.objects.filter(project=project, split=Item.Split.POOL, gold=False)
    item = pool.select_for_update(of=("self",), no_key=True).filter(pk=item_id).order_by().first()
    if item is None:
        raise ItemNotInProjectError(
            f"Item {item_id} is not a reviewable item of project {project.name!r}.",
            {"item": item_id, "project": project.pk},
        )
    label_class = label_class_by_name(project=project, name=class_name)
    current = ReviewDecision.objects.filter(item=item).select_related("label_class").first()
    if current is None:
        votes = Counter(Label.objects.filter(item=item).values_list("label_class__name", flat=True))
        k = project.labels_per_item
        status = resolve(votes, policy=project.resolution, labels_per_item=k)[1] if votes else None
        if status != Status.IN_REVIEW:
            shown = str(status) if status is not None else "unlabeled"
            raise ItemNotInReviewError(
                f"Item {item.pk} is not waiting for review (it is {shown}); nothing was saved.",
                {"item": item.pk, "status": shown},
            )
    note = note.strip()[:500]
    if current is not None and current.label_class_id == label_class.pk and current.note == note:
        return current  # the same decision again: nothing to record
    ReviewChange.objects.create(
        item=item, label_class=label_class, previous_class=current.label_class if current else None,
        reviewer=reviewer, note=note,
    )  # fmt: skip
    decision, _ = ReviewDecision.objects.update_or_create(
        item=item, defaults={"label_class": label_class, "reviewer": reviewer, "note": note}
    )
    return decision
