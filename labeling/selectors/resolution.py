"""The one label per item that training, metrics and exports use, under the project's policy.

An item may carry several annotators' labels (Project.labels_per_item). The policy turns them
into one class, or says why there is none yet:

- majority: the most frequent class; a tie waits for the item's remaining labels, then goes to
  review.
- unanimous: every label agrees; any disagreement goes to review at once (it can never agree).
- adjudicated: a reviewer decides every item once it has all its labels.

A reviewer's decision (ReviewDecision) overrides every policy. Before an item has all its
labels, majority and unanimous use the labels it has, so the model learns from an item as soon
as it is first labeled and corrects itself if later labels disagree.
"""

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from labeling.models import Label, Project, ReviewDecision

Policy = Project.Resolution


class Status(StrEnum):
    RESOLVED = "resolved"  # the policy gives a class
    DECIDED = "decided"  # a reviewer gave the class
    WAITING = "waiting"  # no class until the item's remaining labels come in
    IN_REVIEW = "in_review"  # no class until a reviewer decides


def resolve(votes: Mapping[str, int], *, policy: str, labels_per_item: int) -> tuple[str | None, Status]:
    """(class, status) for one item's votes {class name: labels}; the class is None unless resolved."""
    ranked = Counter(votes).most_common()
    total = sum(votes.values())
    complete = total >= labels_per_item
    if policy == Policy.ADJUDICATED:
        return None, Status.IN_REVIEW if complete else Status.WAITING
    if len(ranked) == 1:
        return ranked[0][0], Status.RESOLVED
    if policy == Policy.UNANIMOUS:
        return None, Status.IN_REVIEW
    if ranked[0][1] > ranked[1][1]:
        return ranked[0][0], Status.RESOLVED
    return None, Status.IN_REVIEW if complete else Status.WAITING


@dataclass(frozen=True)
class ItemResolution:
    item_id: int
    label: str | None  # the class training, metrics and exports use; None while waiting or in review
    status: Status
    votes: dict[str, int]  # class name -> annotators who gave it


def item_resolutions(*, project: Project, chunk_size: int = 5000) -> Iterator[ItemResolution]:
    """Every labeled item of the project, in item id order, streamed: memory stays flat however
    many labels there are (one item's labels at a time, plus the reviewers' decisions). Gold
    items are left out: their answers measure annotators, never train or export as labels."""
    decided = dict(
        ReviewDecision.objects.filter(item__project=project).values_list("item_id", "label_class__name")
    )
    labels = (
        Label.objects.filter(item__project=project, item__gold=False)  # gold answers check annotators only
        .order_by("item_id", "id")
        .values_list("item_id", "label_class__name")
        .iterator(chunk_size=chunk_size)
    )
    current, votes = None, Counter[str]()
    for item_id, name in labels:
        if item_id != current and current is not None:
            yield _resolution(project, current, votes, decided)
            votes = Counter()
        current = item_id
        votes[name] += 1
    if current is not None:
        yield _resolution(project, current, votes, decided)


def _resolution(project: Project, item_id: int, votes: Counter[str], decided: dict[int, str]) -> ItemResolution:
    if item_id in decided:
        return ItemResolution(item_id, decided[item_id], Status.DECIDED, dict(votes))
    label, status = resolve(votes, policy=project.resolution, labels_per_item=project.labels_per_item)
    return ItemResolution(item_id, label, status, dict(votes))


def resolved_labels(*, project: Project) -> dict[int, str]:
    """{item id: class name} for every item whose labels resolve (or that a reviewer decided)."""
    return {r.item_id: r.label for r in item_resolutions(project=project) if r.label is not None}
