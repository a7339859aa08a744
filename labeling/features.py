"""Turns a project's items into a feature matrix with learner.features.

Items are read through Django's storage API, so the same code works on local disk or any
storage backend. Pretrained encoders with stored embeddings replace this in a later step.
"""

from collections.abc import Sequence

from PIL import Image

from labeling.models import Item, Project
from learner.features.pixels import pixel_features
from learner.features.text import text_features
from learner.types import FloatArray


def item_image_read(item: Item) -> Image.Image:
    """The item's image, fully decoded, read through Django's storage API."""
    with item.image.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    return image


def project_features(*, project: Project, items: Sequence[Item]) -> FloatArray:
    """Features (len(items), d), row-aligned with `items`.

    Text features are fitted on all given texts at once (TF-IDF + LSA): unlabeled text is
    free information, and fitting per round keeps the vocabulary current after imports.
    """
    if project.modality == Project.Modality.IMAGE:
        return pixel_features(item_image_read(item) for item in items)
    return text_features([item.text for item in items], seed=project.seed)
