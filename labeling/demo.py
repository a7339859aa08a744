"""Demo projects from the real datasets in learner.datasets.

Image datasets are written as PNG files, one sub-folder per class, and imported through the
same reader and service as any user's folder.
"""

from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from PIL import Image

from labeling.models import Project
from labeling.readers import TextRecord, read_image_folder
from labeling.services.imports import ImportSummary, items_import_images, items_import_texts
from labeling.services.projects import project_create
from learner.datasets import Dataset, load_dataset

# Small images (28 px digits) gain nothing from 224 px; 112 px embeds 5x faster on a CPU.
DEMO_ENCODERS = {"image": "efficientnet-lite0-112", "text": "minilm-l6"}


def _write_png_folder(dataset: Dataset, rows: np.ndarray) -> Path:
    assert dataset.images is not None
    folder = Path(settings.VAR_DIR) / "demo-data" / dataset.name
    for row in rows:
        class_folder = folder / str(dataset.labels[row])
        class_folder.mkdir(parents=True, exist_ok=True)
        path = class_folder / f"{dataset.name}-{row:05d}.png"
        if not path.exists():
            Image.fromarray(dataset.images[row]).save(path)
    return folder


@transaction.atomic
def demo_project_import(
    *, dataset: str, name: str, eval_fraction: float = 0.2, limit: int | None = None,
    strategy: str = "entropy", retrain_every: int = 20, encoder: str | None = None,
) -> tuple[Project, ImportSummary]:  # fmt: skip
    """`encoder` None picks the demo's pretrained encoder for the modality; "" uses pixels or TF-IDF."""
    data = load_dataset(dataset)
    rows = np.random.default_rng(0).permutation(len(data.labels))[:limit]
    project = project_create(
        name=name, modality=data.modality, class_names=data.class_names,
        strategy=strategy, retrain_every=retrain_every,
        encoder=DEMO_ENCODERS[data.modality] if encoder is None else encoder,
    )  # fmt: skip
    if data.modality == Project.Modality.IMAGE:
        wanted = {f"{dataset}-{row:05d}.png" for row in rows}
        records = [r for r in read_image_folder(_write_png_folder(data, rows)) if r.path.name in wanted]
        summary = items_import_images(project=project, records=records, eval_fraction=eval_fraction)
    else:
        assert data.texts is not None
        texts = [TextRecord(data.texts[r], str(data.labels[r]), f"{dataset}-{r}") for r in rows]
        summary = items_import_texts(project=project, records=texts, eval_fraction=eval_fraction)
    return project, summary
