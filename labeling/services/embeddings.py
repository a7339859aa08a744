"""Embed a project's items with its pretrained encoder, once per item, and keep them current.

Runs on a worker (the `gpu` queue): the import only queues it, so importing 5,000 images never
waits for a network pass. Items already embedded are skipped; new items are embedded and merged.
Progress (`done` of `total`) is written after every batch for the project page to show.
Projects that fine-tune the last encoder block also get their prefix maps (the last block's
input, flattened) stored the same way, as a set named `prefix_set_name(encoder)`.
"""

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db.models import F

from labeling.artifacts import array_load, array_save, artifact_delete
from labeling.exceptions import InvalidProjectError
from labeling.features import item_image_read
from labeling.models import EmbeddingSet, Item, Project
from labeling.selectors.embeddings import prefix_set_name
from learner.adaptation import augment_image
from learner.encoders import ENCODERS, load_encoder
from learner.finetune import load_prefix_encoder

BATCH_SIZE = 64


def embeddings_compute(
    *, project: Project, device: str, view: int = 0, prefix: bool = False, batch_size: int = BATCH_SIZE,
    limit: int | None = None,
) -> EmbeddingSet:
    """Embed every item of the project that the current set lacks, then switch the set to the merged arrays.

    `limit` embeds at most that many this call and leaves the set `computing` while more remain, so
    the embedding task can go back to the end of the queue between chunks and a retrain queued
    meanwhile is not held up for the whole pool. Progress (done / total) counts the whole set.

    `view` 0 embeds the items as they are. A view k >= 1 embeds the k-th augmented view of each pool
    item (contrastive adaptation; images only), seeded by (project seed, item id, k): a view never
    changes once computed, and evaluation items get none, since adaptation never sees them.
    `prefix` stores the encoder's prefix maps (n, C*h*w) instead of its embeddings (fine-tuning; view 0).
    """
    spec = ENCODERS[project.encoder]
    if prefix and view:
        raise InvalidProjectError("Prefix maps are stored for the items as they are only.", {"view": view})
    embedding_set, _ = EmbeddingSet.objects.get_or_create(
        project=project, encoder=prefix_set_name(spec.name) if prefix else spec.name, view=view,
        defaults={"dim": 0 if prefix else spec.dim},  # a prefix's width is known once its encoder has run
    )  # fmt: skip
    generation = embedding_set.generation
    old_ids, old_vectors = _current_arrays(embedding_set, embedding_set.dim)
    items = Item.objects.filter(project=project)
    if view:
        items = items.filter(split=Item.Split.POOL)
    all_ids = np.fromiter(items.values_list("id", flat=True), dtype=np.int64)
    missing = np.setdiff1d(all_ids, old_ids)  # (m,) sorted item ids without an embedding
    left = max(0, len(missing) - limit) if limit is not None else 0  # still missing after this call
    missing = missing[: len(missing) - left]
    already = len(all_ids) - len(missing) - left
    EmbeddingSet.objects.filter(pk=embedding_set.pk).update(
        status=EmbeddingSet.Status.COMPUTING if len(missing) else EmbeddingSet.Status.READY,
        done=already, total=len(all_ids), error="",
    )  # fmt: skip
    if not len(missing):
        embedding_set.refresh_from_db()
        return embedding_set
    encoder = load_prefix_encoder(spec.name, device) if prefix else load_encoder(spec.name, device)
    chunks = []
    for start in range(0, len(missing), batch_size):
        batch = list(Item.objects.filter(id__in=missing[start : start + batch_size].tolist()).order_by("id"))
        chunks.append(encoder.encode(_payloads(batch, spec.modality, project.seed, view)))  # (b, dim)
        EmbeddingSet.objects.filter(pk=embedding_set.pk).update(done=F("done") + len(batch))
    ids = np.concatenate([old_ids, missing])
    vectors = np.concatenate([old_vectors, *chunks] if len(old_ids) else chunks).astype(np.float32, copy=False)
    order = np.argsort(ids, kind="stable")
    status = EmbeddingSet.Status.COMPUTING if left else EmbeddingSet.Status.READY
    return _switch(embedding_set, generation, ids[order], vectors[order], status)


def prefix_maps_compute(*, project: Project, device: str) -> EmbeddingSet | None:
    """Store the prefix maps of items that lack them, for projects that fine-tune the last block; else None."""
    if not project.finetune_last_block:
        return None
    return embeddings_compute(project=project, device=device, prefix=True)


def _current_arrays(embedding_set: EmbeddingSet, dim: int) -> tuple[np.ndarray, np.ndarray]:
    if not embedding_set.ids_name:
        return np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32)
    return np.asarray(array_load(embedding_set.ids_name)), np.asarray(array_load(embedding_set.vectors_name))


def _switch(
    embedding_set: EmbeddingSet, generation: int, ids: np.ndarray, vectors: np.ndarray,
    status: str = EmbeddingSet.Status.READY,
) -> EmbeddingSet:  # fmt: skip
    """Write the new arrays under fresh names, point the row at them in one update, drop the old files."""
    view = f"-view{embedding_set.view}" if embedding_set.view else ""
    stem = f"project-{embedding_set.project_id}/embeddings-{embedding_set.encoder}{view}-{uuid.uuid4().hex[:12]}"
    array_save(f"{stem}-ids.npy", ids)
    array_save(f"{stem}-vectors.npy", vectors)
    old = (embedding_set.ids_name, embedding_set.vectors_name)
    switched = EmbeddingSet.objects.filter(pk=embedding_set.pk, generation=generation).update(
        ids_name=f"{stem}-ids.npy", vectors_name=f"{stem}-vectors.npy", n_items=len(ids), dim=vectors.shape[1],
        generation=generation + 1, status=status,
    )  # fmt: skip
    stale = old if switched else (f"{stem}-ids.npy", f"{stem}-vectors.npy")  # another worker got there first
    for name in stale:
        if name:
            artifact_delete(name)
    embedding_set.refresh_from_db()
    return embedding_set


def _payloads(items: Sequence[Item], modality: str, seed: int, view: int) -> list[Any]:
    if modality == Project.Modality.TEXT:
        if view:
            raise InvalidProjectError("Texts have no augmented views: adapt them in embedding space.", {"view": view})
        return [item.text for item in items]
    if not view:
        return [item_image_read(item) for item in items]
    return [augment_image(item_image_read(item), np.random.default_rng([seed, item.id, view])) for item in items]
