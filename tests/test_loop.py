"""The whole active-learning loop through the REST API and a real Celery worker process."""

import time

import pytest

from labeling.models import Item, ItemScore, ModelVersion

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for_version(project, number: int, timeout: float = 120.0) -> ModelVersion:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = ModelVersion.objects.filter(project=project, number=number).first()
        if version is not None and version.status in {ModelVersion.Status.DONE, ModelVersion.Status.FAILED}:
            return version
        time.sleep(0.25)
    pytest.fail(f"Model version {number} did not finish in {timeout} s")


def test_n_labels_retrain_on_the_worker_and_the_top_item_comes_next(celery_worker, api, make_digits_project):
    project = make_digits_project(per_class=40, retrain_every=20)

    for _ in range(20):  # label what the API serves, answering with the true class
        served = api.get(f"/api/projects/{project.pk}/next-item/").json()
        assert served["model_version"] is None  # cold start until the first model is in place
        item = Item.objects.select_related("gold_class").get(pk=served["item"]["id"])
        response = api.post(
            f"/api/projects/{project.pk}/labels/", {"item": item.pk, "label": item.gold_class.name}, format="json"
        )
        assert response.status_code == 201

    version = _wait_for_version(project, 1)
    assert version.status == ModelVersion.Status.DONE, version.error
    assert version.labels_used == 20
    assert version.metrics["eval_accuracy"] > 0.7

    served = api.get(f"/api/projects/{project.pk}/next-item/").json()
    top = ItemScore.objects.filter(model_version=version).order_by("rank").first()
    assert served == {"item": served["item"], "model_version": 1}
    assert served["item"]["id"] == top.item_id


def test_a_task_delivered_twice_still_makes_one_version(celery_worker, make_digits_project, annotator):
    from labeling.services.training import model_version_request
    from labeling.tasks import model_version_train
    from tests.labeling.helpers import label_item

    project = make_digits_project(per_class=10, retrain_every=1000, name="twice")
    for item in (
        Item.objects.filter(project=project, split="pool").select_related("gold_class").order_by("cold_rank")[:12]
    ):
        label_item(project=project, item_id=item.pk, annotator=annotator, class_name=item.gold_class.name)
    version = model_version_request(project=project, force=True)  # sends the task on commit
    model_version_train.delay(version.pk)  # and a duplicate delivery

    assert _wait_for_version(project, 1).status == ModelVersion.Status.DONE
    time.sleep(1.0)  # give the duplicate time to run
    assert ModelVersion.objects.filter(project=project).count() == 1
    assert ItemScore.objects.filter(model_version=version).count() == 24 - 12
