"""The latest model's class probabilities for every item, read from the artifact store.

Each finished model version stores them (labeling.services.predictions) as two arrays sorted by
item id, so a lookup is a binary search on a memory-mapped file, not a model run per request.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from labeling.artifacts import array_load
from labeling.models import ModelVersion, Project


@dataclass(frozen=True)
class Predictions:
    version: int  # ModelVersion.number
    strategy: str
    classes: list[str]  # column order of probs
    item_ids: np.ndarray  # (n,) int64, ascending
    probs: np.ndarray  # (n, n_classes) float32, rows sum to 1

    def lookup(self, item_id: int) -> tuple[str, float] | None:
        """(predicted class, its probability) for one item, or None when the version did not score it."""
        at = int(np.searchsorted(self.item_ids, item_id))
        if at == len(self.item_ids) or self.item_ids[at] != item_id:
            return None
        row = np.asarray(self.probs[at])
        best = int(row.argmax())
        return self.classes[best], float(row[best])

    def rows(self, chunk: int = 4096) -> Iterator[tuple[int, np.ndarray]]:
        """(item id, probabilities (n_classes,)) in item id order, read a block at a time."""
        for start in range(0, len(self.item_ids), chunk):
            ids, probs = np.asarray(self.item_ids[start : start + chunk]), np.asarray(self.probs[start : start + chunk])
            yield from zip(ids.tolist(), probs, strict=True)


def predictions_latest(*, project: Project) -> Predictions | None:
    """The newest finished version's stored predictions; None when no version stored any."""
    versions = ModelVersion.objects.filter(project=project, status=ModelVersion.Status.DONE).order_by("-number")
    for version in versions.only("number", "strategy", "metrics"):
        record = (version.metrics or {}).get("predictions")
        if record:
            return predictions_of(version)
    return None


def predictions_of(version: ModelVersion) -> Predictions | None:
    record = (version.metrics or {}).get("predictions")
    if not record:
        return None
    return Predictions(
        version=version.number,
        strategy=version.strategy,
        classes=list(record["classes"]),
        item_ids=array_load(f"{record['name']}-ids.npy"),
        probs=array_load(f"{record['name']}-probs.npy"),
    )
