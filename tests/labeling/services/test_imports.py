from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from labeling.exceptions import InvalidImportError
from labeling.models import Item
from labeling.readers import ImageRecord, TextRecord, read_image_folder
from labeling.services.imports import items_import_images, items_import_texts
from labeling.services.projects import project_create
from tests.conftest import write_digit_folder

pytestmark = pytest.mark.django_db


@pytest.fixture
def image_project():
    return project_create(name="img", modality="image", class_names=["0", "1", "2"])


def _stored_files() -> list[Path]:
    media = Path(settings.MEDIA_ROOT)
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_image_folder_import_copies_files_and_holds_out_an_eval_share(image_project, tmp_path):
    folder = write_digit_folder(tmp_path / "digits", per_class=10)

    summary = items_import_images(project=image_project, records=read_image_folder(folder), eval_fraction=0.2)

    assert (summary.pool, summary.eval) == (24, 6)
    items = Item.objects.filter(project=image_project)
    assert items.count() == 30
    assert all(i.gold_class is not None for i in items.filter(split="eval"))
    assert sorted(items.values_list("cold_rank", flat=True)) == list(range(30))
    first = items.first()
    assert first is not None and Image.open(first.image.path).size == (8, 8)


def test_corrupt_image_stops_the_import_and_saves_nothing(image_project, tmp_path):
    folder = write_digit_folder(tmp_path / "digits", per_class=3)
    (folder / "1" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a png")
    files_before = _stored_files()

    with pytest.raises(InvalidImportError, match=r"broken\.png is not a readable image"):
        items_import_images(project=image_project, records=read_image_folder(folder))

    assert Item.objects.filter(project=image_project).count() == 0
    assert _stored_files() == files_before


def test_unknown_class_folder_is_refused_and_nothing_saved(image_project, tmp_path):
    folder = write_digit_folder(tmp_path / "digits", per_class=2, classes=("0", "7"))

    with pytest.raises(InvalidImportError, match=r"Unknown class names \['7'\]"):
        items_import_images(project=image_project, records=read_image_folder(folder))

    assert Item.objects.filter(project=image_project).count() == 0


def test_a_failing_database_write_removes_copied_files(image_project, tmp_path, monkeypatch):
    folder = write_digit_folder(tmp_path / "digits", per_class=2)
    files_before = _stored_files()

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Item.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        items_import_images(project=image_project, records=read_image_folder(folder))

    assert _stored_files() == files_before


def test_second_import_continues_the_cold_start_order(image_project, tmp_path):
    items_import_images(project=image_project, records=read_image_folder(write_digit_folder(tmp_path / "a", 2)))
    items_import_images(project=image_project, records=read_image_folder(write_digit_folder(tmp_path / "b", 2)))
    ranks = sorted(Item.objects.filter(project=image_project).values_list("cold_rank", flat=True))
    assert ranks == list(range(12))


def test_texts_go_into_text_projects_only(image_project):
    with pytest.raises(InvalidImportError, match="holds image items, not text items"):
        items_import_texts(project=image_project, records=[TextRecord("hi", None, "r1")])


def test_text_import(db):
    project = project_create(name="reviews", modality="text", class_names=["fresh", "rotten"])
    records = [TextRecord(f"review {i}", "fresh" if i % 2 else "rotten", f"r{i}") for i in range(10)]

    summary = items_import_texts(project=project, records=records, eval_fraction=0.3)

    assert (summary.pool, summary.eval) == (7, 3)
    assert set(Item.objects.filter(project=project).values_list("text", flat=True)) == {r.text for r in records}


def test_images_without_class_only_go_to_the_pool(image_project, tmp_path):
    path = tmp_path / "x.png"
    Image.new("L", (8, 8)).save(path)

    summary = items_import_images(project=image_project, records=[ImageRecord(path, None)], eval_fraction=0.5)

    assert (summary.pool, summary.eval) == (1, 0)
