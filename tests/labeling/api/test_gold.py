"""Gold items over REST: owners mark and unmark; others cannot; bad input a 400 that marks nothing."""

import pytest
from rest_framework.test import APIClient

from labeling.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def test_mark_list_and_unmark(owner, make_digits_project):
    project = make_digits_project(per_class=2, eval_fraction=0.0)
    a, b = Item.objects.filter(project=project).order_by("id")[:2]
    url = f"/api/projects/{project.pk}/gold/"

    marked = owner.post(url, [{"item": a.pk, "label": "0"}, {"item": b.pk, "label": "2"}], format="json")
    assert marked.status_code == 201
    assert marked.json() == {"gold_items": [{"item": a.pk, "label": "0"}, {"item": b.pk, "label": "2"}]}
    assert owner.delete(f"{url}{a.pk}/").status_code == 204
    assert owner.get(url).json() == {"gold_items": [{"item": b.pk, "label": "2"}]}
    gone = owner.delete(f"{url}{a.pk}/")
    assert gone.status_code == 404 and gone.json()["message"] == f"Item {a.pk} is not a gold item of this project."


def test_bad_input_marks_nothing(owner, make_digits_project):
    project = make_digits_project(per_class=2, eval_fraction=0.0)
    item = Item.objects.filter(project=project).first()
    url = f"/api/projects/{project.pk}/gold/"

    unknown = owner.post(url, [{"item": item.pk, "label": "0"}, {"item": 999_999, "label": "7"}], format="json")
    assert unknown.status_code == 400
    assert unknown.json()["message"] == (
        "Nothing was marked: item 999999 is not an item of this project; '7' is not a class (classes: 0, 1, 2)."
    )
    assert owner.post(url, {"item": item.pk}, format="json").status_code == 400
    assert owner.post(url, [], format="json").json()["message"] == "Invalid input."
    assert not Item.objects.filter(gold=True).exists()


def test_annotators_cannot_mark_gold(api, make_digits_project):
    project = make_digits_project(per_class=2)
    item = Item.objects.filter(project=project, split="pool").first()
    response = api.post(f"/api/projects/{project.pk}/gold/", [{"item": item.pk, "label": "0"}], format="json")
    assert response.status_code == 403 and "cannot manage it" in response.json()["message"]
    assert not Item.objects.filter(gold=True).exists()
