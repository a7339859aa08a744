"""Labels per item, resolution and gold rate: set at creation and changed later, over REST and on
the dashboard, each bad value a 400 (or a message) that changes nothing."""

import pytest
from rest_framework.test import APIClient

from labeling.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def _create(staff: APIClient, **fields) -> dict:
    body = {"name": "team", "modality": "text", "classes": ["pos", "neg"], **fields}
    return staff.post("/api/projects/", body, format="json").json()


def test_created_with_overlap_resolution_and_gold_rate(staff):
    project = _create(staff, labels_per_item=3, resolution="unanimous", gold_rate=0.2)
    assert (project["labels_per_item"], project["resolution"], project["gold_rate"]) == (3, "unanimous", 0.2)


def test_defaults_are_one_label_majority_and_a_tenth_gold(staff):
    project = _create(staff)
    assert (project["labels_per_item"], project["resolution"], project["gold_rate"]) == (1, "majority", 0.1)


@pytest.mark.parametrize(
    ("field", "value"),
    [("labels_per_item", 0), ("labels_per_item", 11), ("resolution", "coin"), ("gold_rate", 0.6), ("gold_rate", -0.1)],
)
def test_a_bad_value_is_a_400_naming_the_field_and_changes_nothing(staff, field, value):
    project = _create(staff, labels_per_item=2, resolution="adjudicated", gold_rate=0.05)
    response = staff.patch(f"/api/projects/{project['id']}/", {field: value}, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == "Invalid input." and field in response.json()["extra"]["fields"]
    saved = Project.objects.get(pk=project["id"])
    assert (saved.labels_per_item, saved.resolution, saved.gold_rate) == (2, "adjudicated", 0.05)


def test_patch_changes_them(staff):
    project = _create(staff)
    body = {"labels_per_item": 3, "resolution": "adjudicated", "gold_rate": 0.25}
    response = staff.patch(f"/api/projects/{project['id']}/", body, format="json")
    assert response.status_code == 200
    assert {k: response.json()[k] for k in body} == body


def test_dashboard_form_sets_them_and_refuses_bad_ones(client, admin_user, make_digits_project):
    project = make_digits_project(per_class=2)
    client.force_login(admin_user)
    url = f"/projects/{project.pk}/settings/"
    bad = client.post(url, {"labels_per_item": "2", "resolution": "coin", "gold_rate": "10"}, follow=True)
    assert "Value &#x27;coin&#x27; is not a valid choice." in bad.content.decode()
    project.refresh_from_db()
    assert (project.labels_per_item, project.resolution) == (1, "majority")

    good = client.post(url, {"labels_per_item": "3", "resolution": "unanimous", "gold_rate": "20"}, follow=True)
    assert "Labels per item 3, unanimous resolution, gold rate 20%." in good.content.decode()
    project.refresh_from_db()
    assert (project.labels_per_item, project.resolution, project.gold_rate) == (3, "unanimous", 0.2)
