"""The trained head loads in plain torch and reproduces the stored predictions; predictions stream."""

import csv
import io
import json

import numpy as np
import pytest
import torch
from rest_framework.test import APIClient

from labeling.features import project_features
from labeling.models import Item, Membership, ModelVersion
from labeling.selectors.predictions import predictions_latest
from labeling.services.projects import project_member_add
from tests.factories import UserFactory
from tests.labeling.helpers import label_unlabeled, train_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer")


@pytest.fixture
def trained(make_digits_project, annotator, viewer):
    project = make_digits_project(per_class=20, eval_fraction=0.2, retrain_every=100)
    project_member_add(project=project, user=viewer, role=Membership.Role.VIEWER)
    label_unlabeled(project, annotator, 40)
    version = train_now(project)
    assert version.status == "done", version.error
    return project


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_model_file_loads_in_plain_torch_and_reproduces_the_stored_predictions(trained, viewer):
    response = client_for(viewer).get(f"/api/projects/{trained.pk}/model-versions/1/model")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="project-{trained.pk}-model-v1.pt"'

    m = torch.load(io.BytesIO(response.content), weights_only=True)  # no Tweezer class needed
    items = list(Item.objects.filter(project=trained).order_by("id"))
    x = torch.as_tensor(project_features(project=trained, items=items))  # 28x28 grayscale pixels / 255
    z = (x - m["mean"]) / m["std"]
    sd = m["state_dict"]
    probs = torch.softmax(z @ sd["out.weight"].T + sd["out.bias"], dim=1)

    stored = predictions_latest(project=trained)
    assert (m["format"], m["classes"], m["encoder"], m["input_dim"]) == ("tweezer-softmax-head/1", ["0", "1", "2"],
                                                                         "pixels", 784)  # fmt: skip
    assert list(stored.item_ids) == [item.pk for item in items]
    np.testing.assert_allclose(probs.numpy(), stored.probs, atol=1e-5)


def test_predictions_stream_every_item_with_its_class_probabilities(trained, viewer):
    client = client_for(viewer)
    lines = b"".join(client.get(f"/api/projects/{trained.pk}/predictions/").streaming_content).splitlines()
    table = b"".join(client.get(f"/api/projects/{trained.pk}/predictions/?format=csv").streaming_content).decode()

    rows = [json.loads(line) for line in lines]
    stored = predictions_latest(project=trained)
    assert [r["item_id"] for r in rows] == list(stored.item_ids) == sorted(Item.objects.filter(project=trained)
                                                                            .values_list("id", flat=True))  # fmt: skip
    first = rows[0]
    assert first["model_version"] == 1 and set(first["probabilities"]) == {"0", "1", "2"}
    assert first["predicted"] == max(first["probabilities"], key=first["probabilities"].get)
    assert sum(first["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    csv_rows = list(csv.DictReader(io.StringIO(table)))
    assert list(csv_rows[0]) == ["item_id", "source_name", "split", "model_version", "predicted", "probability",
                                 "p_0", "p_1", "p_2"]  # fmt: skip
    assert len(csv_rows) == len(rows)


def test_the_export_names_the_prediction_and_the_ranking_that_chose_each_item(trained, viewer):
    url = f"/api/projects/{trained.pk}/export/?format=jsonl&columns=prediction,selection"
    rows = [json.loads(x) for x in b"".join(client_for(viewer).get(url).streaming_content).splitlines()]

    train = [r for r in rows if r["split"] == "train"]
    assert len(train) == 40 and all(r["prediction_version"] == 1 for r in rows)
    assert all(r["predicted"] in {"0", "1", "2"} and 0 < r["probability"] <= 1 for r in rows)
    assert {r["chosen_by_strategy"] for r in train} == {"cold start"}  # labeled before any model ranked
    assert {r["chosen_by_strategy"] for r in rows if r["split"] == "test"} == {None}  # never served


def test_a_model_that_is_not_finished_or_does_not_exist_gets_a_clear_error(trained, viewer):
    ModelVersion.objects.create(project=trained, number=2, strategy="margin")  # queued
    client = client_for(viewer)

    queued = client.get(f"/api/projects/{trained.pk}/model-versions/2/model")
    missing = client.get(f"/api/projects/{trained.pk}/model-versions/9/model")

    assert queued.status_code == 409 and queued.json() == {
        "message": "Model version 2 is queued; only a finished version has a model.",
        "extra": {"version": 2, "status": "queued"},
    }
    assert missing.status_code == 404 and missing.json()["extra"] == {"version": 9}


def test_predictions_before_any_model_and_for_an_annotator_are_refused(make_digits_project, annotator, viewer):
    project = make_digits_project(per_class=2)
    project_member_add(project=project, user=viewer, role=Membership.Role.VIEWER)

    none_yet = client_for(viewer).get(f"/api/projects/{project.pk}/predictions/")
    annotators = client_for(annotator).get(f"/api/projects/{project.pk}/predictions/")
    model = client_for(annotator).get(f"/api/projects/{project.pk}/model-versions/1/model")

    assert none_yet.status_code == 409 and "no model version with predictions yet" in none_yet.json()["message"]
    assert annotators.status_code == 403 and model.status_code == 403
