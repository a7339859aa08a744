"""Contrastive adaptation of a project's embeddings to its own pool, for projects that turn it on.

The adapter (learner.adaptation) learns from the pool split only, labeled or not, and never reads
a label or an evaluation item, so the accuracy on the evaluation split stays honest. Image views
are augmented pool images embedded once per item by the embedding worker (EmbeddingSet `view` k);
texts have no pixel augmentations and learn from embedding-space dropout and noise instead.

The fit depends only on the pool's views, not on the labels, so it is stored (arrays in the
artifact store, named in the model version's metrics) and reused by later versions until an
import changes the views. Measured on MNIST-5k and Rotten Tomatoes: bench/results/adaptation-cpu.md.
"""

import hashlib
import json
import time
import uuid
from dataclasses import asdict, dataclass, replace

import numpy as np

from labeling.artifacts import array_load, array_save, artifact_delete
from labeling.models import EmbeddingSet, Item, ModelVersion, Project
from labeling.selectors.embeddings import embeddings_for_items
from labeling.selectors.training import TrainingData
from labeling.services.embeddings import embeddings_compute
from learner.adaptation import AUGMENTED_VIEWS, ContrastiveAdapter, config_for


@dataclass(frozen=True)
class Adaptation:
    adapter: ContrastiveAdapter
    record: dict[str, object]  # kept in the model version's metrics under "adaptation"
    written: list[str]  # artifacts this run wrote: deleted again if the run fails


def adaptation_views_compute(*, project: Project, device: str) -> None:
    """Embed the augmented views of pool images not embedded yet; a no-op for texts, projects that
    do not adapt, and when every view is done."""
    adapting = project.adaptation == Project.Adaptation.CONTRASTIVE
    if adapting and project.encoder and project.modality == Project.Modality.IMAGE:
        for view in range(1, AUGMENTED_VIEWS + 1):
            embeddings_compute(project=project, device=device, view=view)


def adaptation_prepare(*, project: Project, device: str) -> Adaptation:
    """The project's fitted adapter: the newest finished version's when it saw the same views, else fitted now."""
    config = config_for(project.modality, seed=project.seed)
    views = _view_numbers(project)
    sets = EmbeddingSet.objects.filter(project=project, encoder=project.encoder, view__in=views).order_by("view")
    fingerprint = _fingerprint({"config": asdict(config), "views": [[s.view, s.generation, s.n_items] for s in sets]})
    previous = (
        ModelVersion.objects.filter(
            project=project, status=ModelVersion.Status.DONE, metrics__adaptation__fingerprint=fingerprint
        )
        .order_by("-number")
        .first()
    )
    if previous is not None:
        record = {**previous.metrics["adaptation"], "reused": True}
        arrays = {key: array_load(f"{record['artifact']}-{key}.npy") for key in record["arrays"]}
        return Adaptation(ContrastiveAdapter.from_state_arrays(arrays, config, device), record, written=[])

    pool_ids = np.fromiter(
        Item.objects.filter(project=project, split=Item.Split.POOL).order_by("id").values_list("id", flat=True),
        dtype=np.int64,
    )
    stacked = np.stack([embeddings_for_items(project=project, item_ids=pool_ids, view=v) for v in views])
    started = time.perf_counter()
    adapter = ContrastiveAdapter(config, device).fit(stacked)  # stacked: (n_views, n_pool, dim)
    stem = f"project-{project.pk}/adaptation-{uuid.uuid4().hex[:12]}"
    written = []
    try:
        for key, array in adapter.state_arrays().items():
            array_save(f"{stem}-{key}.npy", array)
            written.append(f"{stem}-{key}.npy")
    except BaseException:
        for name in written:
            artifact_delete(name)
        raise
    record = {
        "method": Project.Adaptation.CONTRASTIVE.value, "fingerprint": fingerprint, "artifact": stem,
        "arrays": sorted(adapter.state_arrays()), "config": asdict(config), "views": len(views),
        "pool_items": len(pool_ids), "output_dim": adapter.output_dim,
        "loss_first_epoch": round(adapter.loss_history_[0], 4) if adapter.loss_history_ else None,
        "loss_last_epoch": round(adapter.loss_history_[-1], 4) if adapter.loss_history_ else None,
        "fit_seconds": round(time.perf_counter() - started, 3), "reused": False,
    }  # fmt: skip
    return Adaptation(adapter, record, written)


def adaptation_apply(*, data: TrainingData, adaptation: Adaptation) -> TrainingData:
    """The same rows, each embedding replaced by its adapted representation."""
    transform = adaptation.adapter.transform
    return replace(data, X_train=transform(data.X_train), X_pool=transform(data.X_pool), X_eval=transform(data.X_eval))


def adaptation_discard(*, adaptation: Adaptation) -> None:
    """Delete what this run stored, when the run that fitted it fails: nothing will point at it."""
    for name in adaptation.written:
        artifact_delete(name)


def _view_numbers(project: Project) -> list[int]:
    """Embedding sets the adapter contrasts: the items themselves and, for images, their augmented views."""
    return [0, *range(1, AUGMENTED_VIEWS + 1)] if project.modality == Project.Modality.IMAGE else [0]


def _fingerprint(values: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]
