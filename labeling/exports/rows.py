"""One export row per item with a label: the resolved class, plus the columns a caller asks for.

The class is the ONE label per item that training uses (labeling.selectors.resolution); items
still waiting for labels or in review appear with an empty label and their status, so nothing
is hidden. Evaluation items appear with their gold class. Every source is read in item id
order and merged as it streams, so memory does not grow with the project.

A missing value is None (null in JSON, an empty cell in CSV), so typed loaders infer one type
per column. split: "test" for evaluation items and audit items (never trained on, they measure the model),
"train" for every other labeled item.
"""

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from labeling.models import Assignment, Item, Label, Project
from labeling.selectors.predictions import Predictions, predictions_latest
from labeling.selectors.resolution import ItemResolution, item_resolutions

BASE_COLUMNS = ["item_id", "source_name", "split", "text", "image_url", "label", "status"]
OPTIONAL_COLUMNS = {
    "annotators": ["answers"],  # every annotator's answer: annotator, label, labeled_at, duration_ms
    "agreement": ["votes", "agreement"],  # labels on the item; share of them agreeing with `label`
    "prediction": ["predicted", "probability", "prediction_version"],  # the latest model's class and its probability
    "selection": ["chosen_by_version", "chosen_by_strategy"],  # the ranking that served the item first
}
CHUNK = 5000
T = TypeVar("T", bound=tuple[Any, ...])


@dataclass(frozen=True)
class ExportRecord:
    row: dict[str, Any]  # what table formats write, in `columns` order
    image: str  # the image's storage name ("" for texts): ImageFolder copies the file


def export_columns(extras: Sequence[str]) -> list[str]:
    return BASE_COLUMNS + [column for extra in extras for column in OPTIONAL_COLUMNS[extra]]


class SortedCursor(Generic[T]):
    """Walks a stream of tuples sorted by their first field (an item id) alongside the items."""

    def __init__(self, rows: Iterator[T]) -> None:
        self._rows, self._next = rows, next(rows, None)

    def take(self, item_id: int) -> list[T]:
        """The rows of `item_id`; rows of smaller ids (items not exported) are passed over."""
        found = []
        while self._next is not None and self._next[0] <= item_id:
            if self._next[0] == item_id:
                found.append(self._next)
            self._next = next(self._rows, None)
        return found


def export_records(*, project: Project, extras: Sequence[str] = ()) -> Iterator[ExportRecord]:
    """Every labeled or evaluation item of the project, in item id order, streamed."""
    labeled = Exists(Label.objects.filter(item_id=OuterRef("pk")))
    items = (
        Item.objects.filter(project=project)
        .filter(Q(split=Item.Split.EVAL) | labeled)
        .order_by("id")
        .values_list("id", "source_name", "split", "text", "image", "audit", "gold_class__name")
        .iterator(chunk_size=CHUNK)
    )
    resolutions = SortedCursor((r.item_id, r) for r in item_resolutions(project=project, chunk_size=CHUNK))
    extra_columns = [_EXTRAS[extra](project) for extra in extras]
    image_url = reverse("labeling:item-image", args=[0]).replace("/0/", "/{}/")  # reversed once, not per row
    for item_id, source_name, split, text, image, audit, gold in items:
        found = resolutions.take(item_id)
        resolution: ItemResolution | None = found[0][1] if found else None
        row: dict[str, Any] = {
            "item_id": item_id,
            "source_name": source_name,
            "split": "test" if split == Item.Split.EVAL or audit else "train",
            "text": text,
            "image_url": image_url.format(item_id) if image else "",
            "label": resolution.label if resolution else gold,  # None while waiting or in review
            "status": str(resolution.status) if resolution else "gold",
        }
        for add in extra_columns:
            row.update(add(item_id, resolution))
        yield ExportRecord(row=row, image=image)


Extra = Callable[[int, ItemResolution | None], dict[str, Any]]


def _answers(project: Project) -> Extra:
    labels = SortedCursor(
        Label.objects.filter(item__project=project)
        .order_by("item_id", "id")
        .values_list("item_id", "annotator__username", "label_class__name", "created_at", "duration_ms")
        .iterator(chunk_size=CHUNK)
    )

    def add(item_id: int, resolution: ItemResolution | None) -> dict[str, Any]:
        answers = [{"annotator": who, "label": name, "labeled_at": at.isoformat(), "duration_ms": ms}
                   for _, who, name, at, ms in labels.take(item_id)]  # fmt: skip
        return {"answers": answers}

    return add


def _agreement(project: Project) -> Extra:
    def add(item_id: int, resolution: ItemResolution | None) -> dict[str, Any]:
        if resolution is None:
            return {"votes": 0, "agreement": None}
        votes = sum(resolution.votes.values())
        agreeing = resolution.votes.get(resolution.label, 0) if resolution.label else max(resolution.votes.values())
        return {"votes": votes, "agreement": round(agreeing / votes, 4)}

    return add


def _prediction(project: Project) -> Extra:
    predictions: Predictions | None = predictions_latest(project=project)

    def add(item_id: int, resolution: ItemResolution | None) -> dict[str, Any]:
        found = predictions.lookup(item_id) if predictions is not None else None
        if found is None:
            return {"predicted": None, "probability": None, "prediction_version": None}
        return {"predicted": found[0], "probability": round(found[1], 4), "prediction_version": predictions.version}  # type: ignore[union-attr]

    return add


def _selection(project: Project) -> Extra:
    served = SortedCursor(
        Assignment.objects.filter(item__project=project)
        .order_by("item_id", "id")
        .values_list("item_id", "model_version__number", "model_version__strategy", "item__audit")
        .iterator(chunk_size=CHUNK)
    )

    def add(item_id: int, resolution: ItemResolution | None) -> dict[str, Any]:
        first = served.take(item_id)
        if not first:
            return {"chosen_by_version": None, "chosen_by_strategy": None}
        _, number, strategy, audit = first[0]
        strategy = "audit (random)" if audit else strategy or "cold start"
        return {"chosen_by_version": number, "chosen_by_strategy": strategy}

    return add


_EXTRAS: dict[str, Callable[[Project], Extra]] = {
    "annotators": _answers,
    "agreement": _agreement,
    "prediction": _prediction,
    "selection": _selection,
}


def flat(value: Any) -> Any:
    """A cell for a flat format (CSV): lists and dicts as JSON text."""
    return json.dumps(value) if isinstance(value, list | dict) else value
