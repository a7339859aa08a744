"""Shared fixtures. Tests use the real database (PostgreSQL in CI), real files and, where
marked `worker`, a real Celery worker process on the configured broker (Redis in CI)."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from PIL import Image
from rest_framework.test import APIClient

from labeling.models import Project
from labeling.readers import read_image_folder
from labeling.services.imports import items_import_images
from labeling.services.projects import project_create, project_member_add
from tests.factories import UserFactory

pytest_plugins = ["tests.worker"]


@pytest.fixture(scope="session", autouse=True)
def _isolated_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Item images and model files of the test run go to a temporary folder, not var/."""
    root = tmp_path_factory.mktemp("var")
    old = settings.VAR_DIR, settings.MEDIA_ROOT, settings.ARTIFACT_ROOT
    settings.VAR_DIR, settings.MEDIA_ROOT, settings.ARTIFACT_ROOT = root, root / "media", root / "artifacts"
    yield root
    settings.VAR_DIR, settings.MEDIA_ROOT, settings.ARTIFACT_ROOT = old


@pytest.fixture
def annotator(db):
    return UserFactory(username="ann")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def api(annotator) -> APIClient:
    client = APIClient()
    client.force_authenticate(annotator)
    return client


def write_digit_folder(folder: Path, per_class: int, classes: tuple[str, ...] = ("0", "1", "2")) -> Path:
    """Real 8x8 handwritten digits written as PNGs, one sub-folder per class."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    for name in classes:
        rows = np.flatnonzero(digits.target == int(name))[:per_class]
        (folder / name).mkdir(parents=True, exist_ok=True)
        for row in rows:
            pixels = np.round(digits.images[row] * 255 / 16).astype(np.uint8)
            Image.fromarray(pixels).save(folder / name / f"d{row}.png")
    return folder


@pytest.fixture
def make_digits_project(tmp_path, annotator):
    """Factory: an image project of real digits, the annotator a member."""

    def make(*, per_class: int = 30, eval_fraction: float = 0.2, retrain_every: int = 20, **kwargs) -> Project:
        classes = kwargs.pop("classes", ("0", "1", "2"))
        project = project_create(
            name=kwargs.pop("name", "digits"), modality="image", class_names=classes,
            retrain_every=retrain_every, **kwargs,
        )  # fmt: skip
        folder = write_digit_folder(tmp_path / f"digits-{project.pk}", per_class, classes)
        items_import_images(project=project, records=read_image_folder(folder), eval_fraction=eval_fraction)
        project_member_add(project=project, user=annotator)
        return project

    return make
