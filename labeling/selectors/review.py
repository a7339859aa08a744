"""The reviewer's queue: items whose labels the project's policy could not resolve, each with
every annotator's answer and the class Enter would accept."""

from collections import Counter
from dataclasses import dataclass

from labeling.models import Item, Label, Project
from labeling.selectors.resolution import Status, item_resolutions


@dataclass(frozen=True)
class ReviewAnswer:
    annotator: str
    label: str


@dataclass(frozen=True)
class ReviewItem:
    item: Item
    answers: list[ReviewAnswer]  # oldest first
    suggested: str | None  # the most frequent answer; None on a tie (the reviewer must pick)


def review_queue(*, project: Project, limit: int = 50) -> tuple[list[ReviewItem], int]:
    """Up to `limit` items waiting for a reviewer, oldest item first, and how many wait in all."""
    waiting = [r.item_id for r in item_resolutions(project=project) if r.status == Status.IN_REVIEW]
    shown = waiting[:limit]
    items = Item.objects.in_bulk(shown)
    answers: dict[int, list[ReviewAnswer]] = {item_id: [] for item_id in shown}
    labels = Label.objects.filter(item_id__in=shown).order_by("created_at", "id")
    for item_id, username, name in labels.values_list("item_id", "annotator__username", "label_class__name"):
        answers[item_id].append(ReviewAnswer(username, name))
    return [ReviewItem(items[i], answers[i], _suggestion(answers[i])) for i in shown], len(waiting)


def _suggestion(answers: list[ReviewAnswer]) -> str | None:
    ranked = Counter(a.label for a in answers).most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]
