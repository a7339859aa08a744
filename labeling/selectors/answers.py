"""An annotator's answers: the current one for an item, and their most recent ones in a project.

An answer is a label or a skip. The page and the API write it as {"kind": "label", "label": name}
or {"kind": "skip", "reason": ..., "note": ...}; the same shape comes back as `previous` when the
annotator changes an answer, so a stale page cannot overwrite an answer it never saw.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from labeling.models import Item, Label, Project, Skip


@dataclass(frozen=True)
class Answer:
    item: Item
    kind: str  # "label" or "skip"
    label: str  # the class name; "" for a skip
    reason: str  # the skip's reason; "" for a label
    note: str
    at: datetime

    def as_dict(self) -> dict[str, str]:
        if self.kind == "label":
            return {"kind": "label", "label": self.label}
        return {"kind": "skip", "reason": self.reason, "note": self.note}

    def matches(self, seen: dict[str, str] | None) -> bool:
        """Whether `seen`, what a page showed as this item's answer, is this answer."""
        if not seen or seen.get("kind") != self.kind:
            return False
        return seen.get("label") == self.label if self.kind == "label" else seen.get("reason") == self.reason


def answer_of_label(label: Label) -> Answer:
    """The answer a label row gives (its class and item loaded)."""
    return Answer(label.item, "label", label.label_class.name, "", "", label.updated_at)


def _of_skip(skip: Skip) -> Answer:
    return Answer(skip.item, "skip", "", skip.reason, skip.note, skip.created_at)


def answer_current(*, item_id: int, annotator: AbstractBaseUser) -> Answer | None:
    label = Label.objects.filter(item_id=item_id, annotator=annotator).select_related("label_class", "item").first()
    if label is not None:
        return answer_of_label(label)
    skip = Skip.objects.filter(item_id=item_id, annotator=annotator).select_related("item").first()
    return _of_skip(skip) if skip is not None else None


def answer_history(*, project: Project, annotator: AbstractBaseUser, limit: int = 10) -> list[Answer]:
    """This annotator's `limit` most recent answers in the project, newest first."""
    mine = Q(item__project=project, annotator=annotator)
    labels = Label.objects.filter(mine).select_related("label_class", "item").order_by("-updated_at")[:limit]
    skips = Skip.objects.filter(mine).select_related("item").order_by("-created_at")[:limit]
    answers = [answer_of_label(label) for label in labels] + [_of_skip(skip) for skip in skips]
    return sorted(answers, key=lambda answer: answer.at, reverse=True)[:limit]
