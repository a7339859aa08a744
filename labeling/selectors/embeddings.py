"""Reads of stored embeddings: rows for given items, in their order."""

import numpy as np

from labeling.artifacts import array_load
from labeling.exceptions import EmbeddingsMissingError
from labeling.models import EmbeddingSet, Project


def prefix_set_name(encoder: str) -> str:
    """The EmbeddingSet.encoder under which `encoder`'s prefix maps (fine-tuning) are stored."""
    return f"{encoder}+prefix"


def embeddings_for_items(*, project: Project, item_ids: np.ndarray, view: int = 0, prefix: bool = False) -> np.ndarray:
    """Stored embeddings (len(item_ids), dim) in the order of `item_ids`; every id must be embedded.

    `view` 0 embeds the items as they are; k >= 1 the k-th augmented view (contrastive adaptation).
    `prefix`: the flattened prefix maps (len(item_ids), C*h*w) instead (fine-tuning the last block).
    """
    encoder = prefix_set_name(project.encoder) if prefix else project.encoder
    embedding_set = EmbeddingSet.objects.filter(project=project, encoder=encoder, view=view).first()
    what = f"{encoder!r} embeddings" + (f" of view {view}" if view else "")
    if embedding_set is None or not embedding_set.ids_name:
        raise EmbeddingsMissingError(f"Project {project.name!r} has no {what} yet.")
    ids = np.asarray(array_load(embedding_set.ids_name))
    rows = np.searchsorted(ids, item_ids)
    found = (rows < len(ids)) & (ids[np.minimum(rows, len(ids) - 1)] == item_ids)
    if not found.all():
        missing = np.asarray(item_ids)[~found][:5].tolist()
        raise EmbeddingsMissingError(f"Items {missing} of project {project.name!r} have no {what} yet.")
    return np.asarray(array_load(embedding_set.vectors_name)[rows])  # (len(item_ids), dim)
