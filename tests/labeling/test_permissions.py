"""Which item images a role may see (labeling.permissions.item_image_for), over the API."""

import pytest
from rest_framework.test import APIClient

from labeling.models import Item
from labeling.services.assignments import assignment_queue
from labeling.services.projects import project_member_add
from tests.factories import UserFactory
from tests.labeling.helpers import label_item

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _image(client: APIClient, item_id: int) -> tuple[int, object]:
    response = client.get(f"/api/items/{item_id}/image/")
    return response.status_code, (b"".join(response.streaming_content)[:4] if response.status_code == 200
                                  else response.json())  # fmt: skip


def _hidden(item_id: int) -> tuple[int, object]:
    return 404, {"message": f"Item {item_id} does not exist or is not yours.", "extra": {"item": item_id}}


def test_an_annotator_sees_what_they_hold_answered_or_were_shown_as_examples_and_nothing_else(
    make_digits_project, annotator
):
    project = make_digits_project(per_class=4, eval_fraction=0.25, prefetch=1)
    pool = Item.objects.filter(project=project, split="pool").order_by("pk")
    evaluation = Item.objects.filter(project=project, split="eval").first()
    held = assignment_queue(project=project, annotator=annotator)[0].item
    answered = label_item(project=project, item_id=pool.exclude(pk=held.pk).first().pk, annotator=annotator,
                          class_name="0").item  # fmt: skip
    example = pool.exclude(pk__in=[held.pk, answered.pk]).first()
    unseen = pool.exclude(pk__in=[held.pk, answered.pk, example.pk]).first()
    first_class = project.label_classes.first()
    first_class.examples.add(example, evaluation)  # an evaluation item stays hidden even as an example
    ann = _client(annotator)

    for item in (held, answered, example):
        assert _image(ann, item.pk) == (200, b"\x89PNG")
    assert _image(ann, unseen.pk) == _hidden(unseen.pk)
    assert _image(ann, evaluation.pk) == _hidden(evaluation.pk)
    assert _image(ann, 987654) == _hidden(987654)


def test_roles_that_read_results_see_every_item_and_strangers_none(make_digits_project):
    project = make_digits_project(per_class=2, eval_fraction=0.5)
    evaluation = Item.objects.filter(project=project, split="eval").first()
    viewer, stranger = UserFactory(username="vera"), UserFactory(username="stan")
    project_member_add(project=project, user=viewer, role="viewer")
    assert _image(_client(viewer), evaluation.pk) == (200, b"\x89PNG")
    assert _image(_client(stranger), evaluation.pk) == _hidden(evaluation.pk)
