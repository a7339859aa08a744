import pytest
from rest_framework.test import APIClient

from labeling.models import Item, Label
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_next_item_then_label_it(api, make_digits_project, annotator):
    project = make_digits_project(per_class=4)

    served = api.get(f"/api/projects/{project.pk}/next-item/").json()
    item = Item.objects.get(pk=served["item"]["id"])
    assert served == {
        "item": {
            "id": item.pk,
            "source_name": item.source_name,
            "text": "",
            "image_url": f"/api/items/{item.pk}/image/",
        },
        "model_version": None,
    }

    response = api.post(
        f"/api/projects/{project.pk}/labels/", {"item": item.pk, "label": "2", "duration_ms": 1200}, format="json"
    )
    assert response.status_code == 201
    label = Label.objects.get()
    assert response.json() == {
        "id": label.pk,
        "item": item.pk,
        "label": "2",
        "annotator": "ann",
        "duration_ms": 1200,
        "created_at": label.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert api.get(f"/api/projects/{project.pk}/next-item/").json()["item"]["id"] != item.pk


def test_unknown_class_gives_400_with_the_known_classes(api, make_digits_project):
    project = make_digits_project(per_class=4)
    item = Item.objects.filter(project=project, split="pool").first()

    response = api.post(f"/api/projects/{project.pk}/labels/", {"item": item.pk, "label": "cat"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "message": "Unknown class 'cat' for project 'digits'; classes are ['0', '1', '2'].",
        "extra": {"label": "cat", "classes": ["0", "1", "2"]},
    }
    assert not Label.objects.exists()


def test_item_of_another_project_gives_400(api, make_digits_project):
    mine = make_digits_project(per_class=4, name="mine")
    other_item = Item.objects.filter(project=make_digits_project(per_class=4, name="other"), split="pool").first()

    response = api.post(f"/api/projects/{mine.pk}/labels/", {"item": other_item.pk, "label": "1"}, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == f"Item {other_item.pk} is not a labelable item of project 'mine'."
    assert not Label.objects.exists()


def test_missing_fields_give_400_naming_them(api, make_digits_project):
    project = make_digits_project(per_class=4)
    response = api.post(f"/api/projects/{project.pk}/labels/", {"label": "1"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid input.", "extra": {"fields": {"item": ["This field is required."]}}}


def test_projects_of_others_are_invisible(make_digits_project):
    project = make_digits_project(per_class=2)
    stranger = APIClient()
    stranger.force_authenticate(UserFactory(username="stranger"))

    response = stranger.get(f"/api/projects/{project.pk}/next-item/")

    assert response.status_code == 404
    assert response.json()["message"] == f"Project {project.pk} does not exist or is not yours."
    assert stranger.get("/api/projects/").json() == []


def test_anonymous_requests_get_401():
    response = APIClient().get("/api/projects/")
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication credentials were not provided.", "extra": {}}


def test_item_image_is_served_to_members_only(api, make_digits_project):
    project = make_digits_project(per_class=2)
    item = Item.objects.filter(project=project).first()

    response = api.get(f"/api/items/{item.pk}/image/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")

    stranger = APIClient()
    stranger.force_authenticate(UserFactory(username="stranger"))
    assert stranger.get(f"/api/items/{item.pk}/image/").status_code == 404


def test_a_token_for_scripts_from_username_and_password(annotator):
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "ann", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/projects/").status_code == 200

    wrong = APIClient().post("/api/auth/token/", {"username": "ann", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "Invalid input."
