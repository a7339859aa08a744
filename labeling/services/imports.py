"""Import items into a project: validate everything first, then write in one transaction.

A bad file or an unknown class stops the whole import before anything is saved; if the
database write fails half-way, the image files already copied are removed again.
"""

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from labeling.exceptions import InvalidImportError
from labeling.models import Item, LabelClass, Project
from labeling.readers import ImageRecord, TextRecord, read_image_folder, read_text_file
from labeling.services.embedding_runs import embedding_run_request
from labeling.services.statistics import table_analyze_on_commit
from labeling.uploads import images_folder, text_file


@dataclass(frozen=True)
class ImportSummary:
    pool: int
    eval: int


def _classes_by_name(project: Project, names: Sequence[str | None]) -> dict[str, LabelClass]:
    classes = {c.name: c for c in project.label_classes.all()}
    unknown = sorted({n for n in names if n is not None} - classes.keys())
    if unknown:
        raise InvalidImportError(
            f"Unknown class names {unknown} for project {project.name!r}; classes are {sorted(classes)}.",
            {"unknown": unknown, "classes": sorted(classes)},
        )
    return classes


def _plan_splits(class_names: Sequence[str | None], eval_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean (n,) mask of eval items, drawn only among items with a known class."""
    if not 0.0 <= eval_fraction < 1.0:
        raise InvalidImportError(f"eval_fraction must be in [0, 1), got {eval_fraction}.")
    known = np.flatnonzero([name is not None for name in class_names])
    chosen = rng.choice(known, size=round(eval_fraction * len(known)), replace=False)
    mask = np.zeros(len(class_names), dtype=bool)
    mask[chosen] = True
    return mask


def _check_modality(project: Project, modality: str) -> None:
    if project.modality != modality:
        raise InvalidImportError(
            f"Project {project.name!r} holds {project.modality} items, not {modality} items.",
            {"project_modality": project.modality},
        )


def _check_image(record: ImageRecord) -> None:
    """Opens and decodes the image; Pillow's decompression-bomb guard refuses a huge one (a warning
    above Image.MAX_IMAGE_PIXELS is turned into the error here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(record.path) as image:
                image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:  # fmt: skip
        raise InvalidImportError(
            f"{record.path} is not a readable image ({exc}); nothing was imported.", {"path": str(record.path)}
        ) from exc


def _build_items(project: Project, class_names: Sequence[str | None], eval_fraction: float) -> list[Item]:
    rng = np.random.default_rng(project.seed + project.items.count())
    classes = _classes_by_name(project, class_names)
    eval_mask = _plan_splits(class_names, eval_fraction, rng)
    first_rank = project.items.count()
    cold_ranks = first_rank + rng.permutation(len(class_names))
    return [
        Item(
            project=project,
            split=Item.Split.EVAL if eval_mask[i] else Item.Split.POOL,
            gold_class=classes[name] if name is not None else None,
            cold_rank=int(cold_ranks[i]),
        )
        for i, name in enumerate(class_names)
    ]


def items_import_images(
    *, project: Project, records: Sequence[ImageRecord], eval_fraction: float = 0.0
) -> ImportSummary:
    _check_modality(project, Project.Modality.IMAGE)
    if not records:
        raise InvalidImportError("Nothing to import.")
    for record in records:
        _check_image(record)
    items = _build_items(project, [r.class_name for r in records], eval_fraction)
    stored: list[Item] = []
    try:
        with transaction.atomic():
            for item, record in zip(items, records, strict=True):
                item.source_name = str(record.path.name)
                with record.path.open("rb") as handle:
                    item.image.save(record.path.name, File(handle), save=False)
                stored.append(item)
            Item.objects.bulk_create(items, batch_size=1000)
            embedding_run_request(project=project)
            table_analyze_on_commit(Item)
    except Exception:
        for item in stored:
            item.image.delete(save=False)
        raise
    return _summary(items)


@transaction.atomic
def items_import_texts(*, project: Project, records: Sequence[TextRecord], eval_fraction: float = 0.0) -> ImportSummary:
    _check_modality(project, Project.Modality.TEXT)
    if not records:
        raise InvalidImportError("Nothing to import.")
    items = _build_items(project, [r.class_name for r in records], eval_fraction)
    for item, record in zip(items, records, strict=True):
        item.text, item.source_name = record.text, record.source_name[:500]
    Item.objects.bulk_create(items, batch_size=1000)
    embedding_run_request(project=project)
    table_analyze_on_commit(Item)
    return _summary(items)



def _summary(items: Sequence[Item]) -> ImportSummary:
    n_eval = sum(item.split == Item.Split.EVAL for item in items)
    return ImportSummary(pool=len(items) - n_eval, eval=n_eval)


def items_import_uploads(
    *, project: Project, files: Sequence[UploadedFile], eval_fraction: float = 0.0, text_column: str = "text",
    label_column: str = "label",
) -> ImportSummary:  # fmt: skip
    """Import files uploaded in the browser or over REST, with the command line's validation: images
    (several files, or one zip of a flat folder or a folder per class) or one CSV/JSONL of texts.
    All or nothing; a hostile upload (path escape, zip bomb, decompression bomb) saves nothing."""
    if project.modality == Project.Modality.IMAGE:
        with images_folder(files) as folder:
            return items_import_images(project=project, records=read_image_folder(folder), eval_fraction=eval_fraction)
    if len(files) != 1:
        raise InvalidImportError(f"Upload one CSV or JSONL file of texts, not {len(files)} files.")
    with text_file(files[0]) as path:
        records = read_text_file(path, text_column=text_column, label_column=label_column)
        return items_import_texts(project=project, records=records, eval_fraction=eval_fraction)
