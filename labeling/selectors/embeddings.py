"""Reads of stored embeddings: rows for given items, in their order."""

import numpy as np

from labeling.artifacts import array_load
from labeling.exceptions import EmbeddingsMissingError
from labeling.models import EmbeddingSet, Project


def embeddings_for_items(*, project: Project, item_ids: np.ndarray) -> np.ndarray:
    """Stored embeddings (len(item_ids), dim) in the order of `item_ids`; every id must be embedded."""
    embedding_set = EmbeddingSet.objects.filter(project=project, encoder=project.encoder).first()
    if embedding_set is None or not embedding_set.ids_name:
        raise EmbeddingsMissingError(f"Project {project.name!r} has no {project.encoder!r} embeddings yet.")
    ids = np.asarray(array_load(embedding_set.ids_name))
    rows = np.searchsorted(ids, item_ids)
    found = (rows < len(ids)) & (ids[np.minimum(rows, len(ids) - 1)] == item_ids)
    if not found.all():
        missing = np.asarray(item_ids)[~found][:5].tolist()
        raise EmbeddingsMissingError(
            f"Items {missing} of project {project.name!r} have no {project.encoder!r} embedding yet."
        )
    return np.asarray(array_load(embedding_set.vectors_name)[rows])  # (len(item_ids), dim)
