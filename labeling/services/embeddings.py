"""Embed a project's items with its pretrained encoder, once per item, and keep them current.

Runs on a worker (the `gpu` queue): the import only queues it, so importing 5,000 images never
waits for a network pass. Items already embedded are skipped; new items are embedded and merged.
Progress (`done` of `total`) is written after every batch for the project page to show.
"""

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F

from labeling.artifacts import array_load, array_save, artifact_delete
from labeling.features import item_image_read
from labeling.models import EmbeddingSet, Item, Project
from learner.encoders import ENCODERS, load_encoder

BATCH_SIZE = 64


def embeddings_request(*, project: Project) -> None:
    """Queue the embedding of the project's new items after the current transaction commits."""
    if not project.encoder:
        return
    from labeling.tasks import embeddings_compute_task  # the task module imports these services

    transaction.on_commit(lambda: embeddings_compute_task.delay(project.pk))


def embeddings_compute(*, project: Project, device: str, batch_size: int = BATCH_SIZE) -> EmbeddingSet:
    """Embed every item of the project that the current set lacks, then switch the set to the merged arrays."""
    spec = ENCODERS[project.encoder]
    embedding_set, _ = EmbeddingSet.objects.get_or_create(
        project=project, encoder=spec.name, defaults={"dim": spec.dim}
    )
    generation = embedding_set.generation
    old_ids, old_vectors = _current_arrays(embedding_set, spec.dim)
    all_ids = np.fromiter(Item.objects.filter(project=project).values_list("id", flat=True), dtype=np.int64)
    missing = np.setdiff1d(all_ids, old_ids)  # (m,) sorted item ids without an embedding
    EmbeddingSet.objects.filter(pk=embedding_set.pk).update(
        status=EmbeddingSet.Status.COMPUTING if len(missing) else EmbeddingSet.Status.READY,
        done=0, total=len(missing), error="",
    )  # fmt: skip
    if not len(missing):
        embedding_set.refresh_from_db()
        return embedding_set
    encoder = load_encoder(spec.name, device)
    chunks = []
    for start in range(0, len(missing), batch_size):
        batch = list(Item.objects.filter(id__in=missing[start : start + batch_size].tolist()).order_by("id"))
        chunks.append(encoder.encode(_payloads(batch, spec.modality)))  # (b, dim)
        EmbeddingSet.objects.filter(pk=embedding_set.pk).update(done=F("done") + len(batch))
    ids = np.concatenate([old_ids, missing])
    vectors = np.concatenate([old_vectors, *chunks]).astype(np.float32, copy=False)
    order = np.argsort(ids, kind="stable")
    return _switch(embedding_set, generation, ids[order], vectors[order])


def embeddings_fail(*, project: Project, error: str) -> None:
    EmbeddingSet.objects.filter(project=project, encoder=project.encoder).update(
        status=EmbeddingSet.Status.FAILED, error=error[:5000]
    )


def _current_arrays(embedding_set: EmbeddingSet, dim: int) -> tuple[np.ndarray, np.ndarray]:
    if not embedding_set.ids_name:
        return np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32)
    return np.asarray(array_load(embedding_set.ids_name)), np.asarray(array_load(embedding_set.vectors_name))


def _switch(embedding_set: EmbeddingSet, generation: int, ids: np.ndarray, vectors: np.ndarray) -> EmbeddingSet:
    """Write the new arrays under fresh names, point the row at them in one update, drop the old files."""
    stem = f"project-{embedding_set.project_id}/embeddings-{embedding_set.encoder}-{uuid.uuid4().hex[:12]}"
    array_save(f"{stem}-ids.npy", ids)
    array_save(f"{stem}-vectors.npy", vectors)
    old = (embedding_set.ids_name, embedding_set.vectors_name)
    switched = EmbeddingSet.objects.filter(pk=embedding_set.pk, generation=generation).update(
        ids_name=f"{stem}-ids.npy", vectors_name=f"{stem}-vectors.npy", n_items=len(ids),
        generation=generation + 1, status=EmbeddingSet.Status.READY,
    )  # fmt: skip
    stale = old if switched else (f"{stem}-ids.npy", f"{stem}-vectors.npy")  # another worker got there first
    for name in stale:
        if name:
            artifact_delete(name)
    embedding_set.refresh_from_db()
    return embedding_set


def _payloads(items: Sequence[Item], modality: str) -> list[Any]:
    if modality == Project.Modality.TEXT:
        return [item.text for item in items]
    return [item_image_read(item) for item in items]
