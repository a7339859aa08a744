"""The review queue and reviewers' decisions over REST: literal payloads, history kept, each bad
request a clear 4xx that saves nothing."""

import pytest
from rest_framework.test import APIClient

from labeling.models import Item, Label, Membership, ReviewChange, ReviewDecision
from labeling.selectors.resolution import resolved_labels
from labeling.services.projects import project_member_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def disputed(make_digits_project, annotator):
    """Two labels per item, majority: item A split 0/1 (in review), item B agreed on 2."""
    project = make_digits_project(per_class=2, eval_fraction=0.0, labels_per_item=2)
    second = UserFactory(username="second")
    a, b = Item.objects.filter(project=project).order_by("id")[:2]
    c = {lc.name: lc for lc in project.label_classes.all()}
    Label.objects.create(item=a, annotator=annotator, label_class=c["0"])
    Label.objects.create(item=a, annotator=second, label_class=c["1"])
    Label.objects.create(item=b, annotator=annotator, label_class=c["2"])
    Label.objects.create(item=b, annotator=second, label_class=c["2"])
    return project, a, b


@pytest.fixture
def reviewer_api(disputed) -> APIClient:
    reviewer = UserFactory(username="rev")
    project_member_add(project=disputed[0], user=reviewer, role=Membership.Role.REVIEWER)
    client = APIClient()
    client.force_authenticate(reviewer)
    return client


def test_the_queue_lists_items_in_disagreement_with_every_answer(disputed, reviewer_api):
    project, a, _ = disputed
    body = reviewer_api.get(f"/api/projects/{project.pk}/review-queue/").json()
    assert body == {
        "items": [{
            "item": {"id": a.pk, "source_name": a.source_name, "text": "", "image_url": f"/api/items/{a.pk}/image/"},
            "answers": [{"annotator": "ann", "label": "0"}, {"annotator": "second", "label": "1"}],
            "suggested": None,
        }],
        "total": 1,
    }  # fmt: skip


def test_a_decision_resolves_the_item_and_a_change_keeps_history(disputed, reviewer_api):
    project, a, _ = disputed
    url = f"/api/projects/{project.pk}/reviews/"
    first = reviewer_api.post(url, {"item": a.pk, "label": "1", "note": "stroke is a one"}, format="json")
    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("item", "label", "note", "reviewer")} == {
        "item": a.pk, "label": "1", "note": "stroke is a one", "reviewer": "rev"
    }  # fmt: skip
    assert resolved_labels(project=project)[a.pk] == "1"
    assert reviewer_api.get(f"/api/projects/{project.pk}/review-queue/").json()["total"] == 0

    reviewer_api.post(url, {"item": a.pk, "label": "0"}, format="json")
    history = list(ReviewChange.objects.values_list("label_class__name", "previous_class__name", "note"))
    assert history == [("1", None, "stroke is a one"), ("0", "1", "")]
    assert resolved_labels(project=project)[a.pk] == "0"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"item": "B", "label": "1"}, 409, "is not waiting for review (it is resolved); nothing was saved."),
        ({"item": "A", "label": "7"}, 400, "Unknown class '7'"),
        ({"item": 999_999, "label": "1"}, 400, "is not a reviewable item"),
        ({"item": "A"}, 400, "Invalid input."),
    ],
)
def test_bad_decisions_are_refused_and_save_nothing(disputed, reviewer_api, body, status, message):
    project, a, b = disputed
    body = {**body, "item": {"A": a.pk, "B": b.pk}.get(body["item"], body["item"])}
    response = reviewer_api.post(f"/api/projects/{project.pk}/reviews/", body, format="json")
    assert response.status_code == status and message in response.json()["message"]
    assert set(response.json()) == {"message", "extra"}
    assert not ReviewDecision.objects.exists() and not ReviewChange.objects.exists()


def test_annotators_cannot_review_and_strangers_see_no_project(disputed, api):
    project, a, _ = disputed
    forbidden = api.post(f"/api/projects/{project.pk}/reviews/", {"item": a.pk, "label": "1"}, format="json")
    assert forbidden.status_code == 403 and "As annotator" in forbidden.json()["message"]
    stranger = APIClient()
    stranger.force_authenticate(UserFactory(username="stranger"))
    assert stranger.get(f"/api/projects/{project.pk}/review-queue/").status_code == 404
    assert not ReviewDecision.objects.exists()
