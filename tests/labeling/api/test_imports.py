"""Projects created and filled over REST, with the command line's validation; hostile uploads save nothing."""

import io
import json
import zipfile

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from labeling.models import Item, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def png(value: int = 128, size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size), value, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def zip_of(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return SimpleUploadedFile("items.zip", buffer.getvalue(), content_type="application/zip")


def create(staff: APIClient, modality: str = "image", classes=("cat", "dog")) -> int:
    response = staff.post("/api/projects/", {"name": f"{modality}s", "modality": modality, "classes": list(classes),
                                             "label_budget": 100, "retrain_every": 10}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def upload(staff: APIClient, project: int, *files, **fields):
    return staff.post(f"/api/projects/{project}/imports/", {"files": list(files), **fields}, format="multipart")


def test_staff_create_a_project_and_upload_a_zip_of_class_folders(staff):
    project = create(staff)
    entries = {f"animals/{c}/{c}{i}.png": png(40 * i) for c in ("cat", "dog") for i in range(5)}

    response = upload(staff, project, zip_of(entries), eval_fraction="0.2")

    assert response.status_code == 201 and response.json() == {"pool": 8, "eval": 2}
    assert sorted(Item.objects.filter(project=project).values_list("gold_class__name", flat=True)) == ["cat"] * 5 + [
        "dog"
    ] * 5


def test_images_as_several_files_and_texts_as_csv(staff):
    images = create(staff)
    files = [SimpleUploadedFile(f"x{i}.png", png(i * 20), content_type="image/png") for i in range(3)]
    assert upload(staff, images, *files).json() == {"pool": 3, "eval": 0}

    texts = create(staff, "text", ("fresh", "rotten"))
    csv = SimpleUploadedFile("reviews.csv", b"text,label\nA fine film.,fresh\nDull.,rotten\nNo idea,\n")
    assert upload(staff, texts, csv).json() == {"pool": 3, "eval": 0}


def test_settings_change_with_validation(staff):
    project = create(staff)
    changed = staff.patch(f"/api/projects/{project}/", {"label_budget": 300, "strategy": "margin"}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["label_budget"], changed.json()["strategy"]) == (300, "margin")
    bad = staff.patch(f"/api/projects/{project}/", {"strategy": "psychic"}, format="json")
    assert bad.status_code == 400 and "Unknown strategy 'psychic'" in bad.json()["message"]
    assert Project.objects.get(pk=project).strategy == "margin"


def test_annotators_cannot_create_or_import(api, annotator):
    response = api.post("/api/projects/", {"name": "x", "modality": "image", "classes": ["a", "b"]}, format="json")
    assert response.status_code == 403 and response.json()["message"] == "Only staff can create projects."


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../escape.png": png()}, "points outside the upload"),
        ({"/etc/evil.png": png()}, "points outside the upload"),
        ({"bomb.png": b"\0" * 5_000_000}, "a zip bomb?"),
        ({"cat/a.png": png(), "cat/notes.png": b"this is not an image"}, "is not a readable image"),
    ],
)
def test_hostile_zips_get_400_and_save_nothing(staff, entries, message):
    project = create(staff, classes=("cat", "dog"))
    response = upload(staff, project, zip_of(entries))
    assert response.status_code == 400 and message in response.json()["message"]
    assert not Item.objects.filter(project=project).exists()


def test_a_zip_entry_that_is_a_link_is_refused(staff):
    project = create(staff)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (0o120777 << 16)  # a symlink
        archive.writestr(link, "/etc/passwd")
    response = upload(staff, project, SimpleUploadedFile("items.zip", buffer.getvalue()))
    assert response.status_code == 400 and "is a link" in response.json()["message"]
    assert not Item.objects.filter(project=project).exists()


def test_a_decompression_bomb_image_is_refused(staff, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)  # a 64 x 64 image is a bomb at this limit
    project = create(staff)
    response = upload(staff, project, SimpleUploadedFile("big.png", png(size=64)))
    assert response.status_code == 400 and "is not a readable image" in response.json()["message"]
    assert not Item.objects.filter(project=project).exists()


def test_oversized_uploads_and_wrong_text_files_are_refused(staff, settings):
    settings.TWEEZER_MAX_UPLOAD_BYTES = 1_000
    project = create(staff)
    big = upload(staff, project, SimpleUploadedFile("big.png", b"\0" * 2_000))
    assert big.status_code == 400 and "uploads are limited to 1,000 bytes" in big.json()["message"]
    texts = create(staff, "text", ("fresh", "rotten"))
    wrong = upload(staff, texts, SimpleUploadedFile("reviews.xlsx", b"PK"))
    assert wrong.status_code == 400 and "expected a .csv, .jsonl or Label Studio .json file" in wrong.json()["message"]
    assert not Item.objects.exists()


def _texts_upload(staff, name: str, data: bytes):
    project = create(staff, "text", ("fresh", "rotten"))
    return project, upload(staff, project, SimpleUploadedFile(name, data))


def test_label_studio_tasks_import_with_the_class_their_annotations_agree_on(staff):
    tasks = [
        {"id": 7, "data": {"text": "a gem"}, "annotations": [
            {"result": [{"type": "choices", "from_name": "label", "to_name": "text", "value": {"choices": ["fresh"]}}]},
        ]},
        {"data": {"text": "dull"}, "annotations": [
            {"was_cancelled": True, "result": [{"type": "choices", "value": {"choices": ["fresh"]}}]},
            {"result": [{"type": "choices", "value": {"choices": ["rotten"]}}]},
        ]},
        {"data": {"text": "no idea"}},
    ]  # fmt: skip
    project, response = _texts_upload(staff, "export.json", json.dumps(tasks).encode())

    assert response.status_code == 201 and response.json() == {"pool": 3, "eval": 0}
    items = Item.objects.filter(project=project).order_by("id")
    assert [(i.source_name, i.text, i.gold_class and i.gold_class.name) for i in items] == [
        ("7", "a gem", "fresh"), ("task 2", "dull", "rotten"), ("task 3", "no idea", None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("tasks.json", b"{not json", "tasks.json is not JSON"),
        ("tasks.json", b'{"data": {"text": "x"}}', "must hold a JSON array of Label Studio tasks"),
        ("tasks.json", b'[{"data": {"text": "ok"}}, {"data": {"html": "<b>"}}]', "task 2 has no text in data['text']"),
        ("tasks.json", b"[]", "tasks.json has no tasks"),
        ("tasks.json", b'[{"data": {"text": "x"}, "annotations": {"a": 1}}]', "Task 1: annotations must be a list"),
        ("tasks.json", b'[{"data": {"text": "x"}, "annotations": [{"result": [{"type": "choices", "value": '
                       b'{"choices": ["stale"]}}]}]}]', "Unknown class names ['stale']"),
        ("tasks.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("tasks.json", '[{"data": {"text": "caf\u00e9"}}]'.encode("latin-1"), "is not UTF-8"),
        ("reviews.csv", "text\ncaf\u00e9\n".encode("latin-1"), "is not UTF-8"),
        ("reviews.jsonl", '{"text": "caf\u00e9"}\n'.encode("latin-1"), "is not UTF-8"),
        ("reviews.csv", b"text\n" + b"x" * 200_000 + b"\n", "is not a readable CSV file"),
        ("reviews.csv", b"title\nx\n", "has no column 'text'"),
    ],
)
def test_hostile_or_broken_text_files_get_a_400_and_save_nothing(staff, name, data, message):
    _, response = _texts_upload(staff, name, data)

    assert response.status_code == 400, response.content
    assert message in response.json()["message"]
    assert not Item.objects.exists()
