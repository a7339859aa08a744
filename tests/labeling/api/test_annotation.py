import pytest
from rest_framework.test import APIClient

from labeling.models import Assignment, Item, Label
from tests.factories import UserFactory
from tests.labeling.helpers import give

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
        f"/api/projects/{project.pk}/labels/?queue=1", {"item": item.pk, "label": "2", "duration_ms": 1200},
        format="json",
    )
    assert response.status_code == 201
    label = Label.objects.get()
    body = response.json()
    assert (body["item"]["id"], body["answer"]) == (item.pk, {"kind": "label", "label": "2"})
    assert (label.label_class.name, label.duration_ms) == ("2", 1200)
    assert body["queue"]["status"]["labels_spent"] == 1 and body["queue"]["status"]["mine_today"] == 1
    assert item.pk not in [i["id"] for i in body["queue"]["items"]]
    assert api.get(f"/api/projects/{project.pk}/next-item/").json()["item"]["id"] != item.pk


def test_the_queue_holds_the_prefetch_with_the_models_view(api, make_digits_project):
    project = make_digits_project(per_class=4, prefetch=3)
    body = api.get(f"/api/projects/{project.pk}/queue/").json()
    assert len(body["items"]) == 3 and body["message"] == ""
    assert body["items"][0]["model"] == {
        "version": None, "strategy": "cold start", "rank": None, "top_classes": [],
        "why": "No model yet: items come in a seeded random order until the first model is trained.",
    }  # fmt: skip
    assert body["status"]["serving"] is None and body["status"]["label_budget"] == 500


def test_a_stale_tab_gets_409_and_the_saved_label_stays(api, make_digits_project):
    project = make_digits_project(per_class=4)
    item = api.get(f"/api/projects/{project.pk}/queue/").json()["items"][0]["id"]
    api.post(f"/api/projects/{project.pk}/labels/", {"item": item, "label": "1"}, format="json")

    stale = api.post(f"/api/projects/{project.pk}/labels/", {"item": item, "label": "2"}, format="json")

    assert stale.status_code == 409
    assert stale.json()["message"].startswith(f"Item {item} was already labeled '1' at ")
    assert stale.json()["extra"] == {"item": item, "current": {"kind": "label", "label": "1"}}
    assert Label.objects.get().label_class.name == "1"


def test_a_retry_with_the_same_key_answers_200_and_saves_once(api, make_digits_project):
    project = make_digits_project(per_class=4)
    item = api.get(f"/api/projects/{project.pk}/queue/").json()["items"][0]["id"]
    body = {"item": item, "label": "1", "idempotency_key": "6f1c2b1e-93a4-4f8e-9a51-2f0d3c1b7e55"}
    first = api.post(f"/api/projects/{project.pk}/labels/", body, format="json")
    again = api.post(f"/api/projects/{project.pk}/labels/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Label.objects.count() == 1


def test_skip_undo_and_history(api, make_digits_project):
    project = make_digits_project(per_class=4)
    first, second = (i["id"] for i in api.get(f"/api/projects/{project.pk}/queue/").json()["items"][:2])
    labeled = api.post(f"/api/projects/{project.pk}/labels/", {"item": first, "label": "1"}, format="json")
    assert labeled.status_code == 201
    skipped = api.post(f"/api/projects/{project.pk}/skips/?queue=1", {"item": second, "reason": "bad"}, format="json")
    assert skipped.status_code == 201 and skipped.json()["queue"]["status"]["skips"] == {"bad": 1}

    history = api.get(f"/api/projects/{project.pk}/history/").json()["answers"]
    assert [(h["item"]["id"], h["answer"]) for h in history] == [
        (second, {"kind": "skip", "reason": "bad", "note": ""}), (first, {"kind": "label", "label": "1"}),
    ]  # fmt: skip

    undone = api.post(f"/api/projects/{project.pk}/undo/?queue=1", {"item": first}, format="json")
    assert undone.status_code == 200 and undone.json()["item"]["id"] == first
    assert not Label.objects.exists()
    assert first in [i["id"] for i in undone.json()["queue"]["items"]]


def test_bad_skips_and_bad_previous_give_400(api, make_digits_project):
    project = make_digits_project(per_class=4)
    item = api.get(f"/api/projects/{project.pk}/queue/").json()["items"][0]["id"]
    bad_reason = api.post(f"/api/projects/{project.pk}/skips/", {"item": item, "reason": "later"}, format="json")
    assert bad_reason.status_code == 400
    assert bad_reason.json()["extra"]["fields"] == {"reason": ['"later" is not a valid choice.']}
    no_note = api.post(f"/api/projects/{project.pk}/skips/", {"item": item, "reason": "note"}, format="json")
    assert (no_note.status_code, no_note.json()["message"]) == (400, "A skip with a note needs the note's text.")
    bad_previous = api.post(f"/api/projects/{project.pk}/labels/", {"item": item, "label": "1", "previous": "1"},
                            format="json")  # fmt: skip
    assert bad_previous.status_code == 400 and "previous" in bad_previous.json()["extra"]["fields"]
    assert not Label.objects.exists()


def test_at_the_budget_the_queue_answers_409_until_an_admin_raises_it(api, make_digits_project):
    project = make_digits_project(per_class=4, label_budget=1)
    item = api.get(f"/api/projects/{project.pk}/queue/").json()["items"][0]["id"]
    last = api.post(f"/api/projects/{project.pk}/labels/?queue=1", {"item": item, "label": "1"}, format="json").json()
    assert last["queue"]["items"] == [] and last["queue"]["status"]["budget_reached"] is True

    refused = api.get(f"/api/projects/{project.pk}/queue/")
    assert refused.status_code == 409
    assert refused.json()["message"].startswith("The project has used its label budget (1 of 1 labels).")
    project.label_budget = 2
    project.save()
    assert api.get(f"/api/projects/{project.pk}/queue/").status_code == 200


def test_unknown_class_gives_400_with_the_known_classes(api, make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    item = Item.objects.filter(project=project, split="pool").first()

    give(item.pk, annotator)
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


def test_item_image_is_served_to_its_annotator_and_strangers_cannot_tell_it_exists(api, make_digits_project):
    project = make_digits_project(per_class=2)
    item = api.get(f"/api/projects/{project.pk}/next-item/").json()["item"]

    response = api.get(f"/api/items/{item['id']}/image/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")

    stranger = APIClient()
    stranger.force_authenticate(UserFactory(username="stranger"))
    real = stranger.get(f"/api/items/{item['id']}/image/")
    assert real.status_code == 404
    missing = stranger.get("/api/items/987654/image/")
    assert real.json()["message"] == f"Item {item['id']} does not exist or is not yours."
    assert missing.json()["message"] == "Item 987654 does not exist or is not yours."


def test_a_token_for_scripts_from_username_and_password(annotator):
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "ann", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/projects/").status_code == 200

    wrong = APIClient().post("/api/auth/token/", {"username": "ann", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "Invalid input."


def test_after_a_retrain_the_queue_says_what_the_model_thinks_and_why(api, make_digits_project, annotator):
    from tests.labeling.helpers import label_in_cold_order, train_now

    project = make_digits_project(per_class=10, eval_fraction=0.2, retrain_every=50, strategy="entropy")
    label_in_cold_order(project, annotator, 6)
    version = train_now(project)
    assert version.status == "done"
    report = version.metrics["eval_report"]  # the dashboard's confusion matrix, on the evaluation items
    assert report["classes"] == ["0", "1", "2"] and sum(map(sum, report["confusion"])) == version.metrics["n_eval"]
    stop = version.metrics["stop_set"]  # the same seeded pool sample every version predicts, for stabilizing
    assert len(stop["ids"]) == len(stop["predicted"]) == 24 and set(stop["predicted"]) <= {"0", "1", "2"}
    Assignment.objects.filter(status="open").update(status="expired")  # serve from the new ranking

    first = api.get(f"/api/projects/{project.pk}/queue/").json()["items"][0]["model"]

    assert (first["version"], first["strategy"], first["rank"]) == (version.number, "entropy", 0)
    (name, p1), (_, p2) = first["top_classes"][:2]
    assert name in {"0", "1", "2"} and 1 >= p1 >= p2 >= 0
    assert first["why"].startswith(f"Ranked #1 of {version.metrics['n_pool']} by entropy: the model is")


def test_an_audit_item_says_why_it_is_there(api, make_digits_project):
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=2, audit_fraction=0.5)
    items = api.get(f"/api/projects/{project.pk}/queue/").json()["items"]
    assert [i["model"]["strategy"] for i in items] == ["cold start", "audit"]
    assert items[1]["model"]["why"].startswith("Drawn at random as an audit item: no strategy chose it.")


def test_the_cold_start_is_called_typical_only_once_the_embeddings_are_in(api, make_digits_project):
    from labeling.services.cold_start import cold_start_order_by_typicality
    from labeling.services.embeddings import embeddings_compute

    project = make_digits_project(per_class=3, retrain_every=4, encoder="efficientnet-lite0-112", prefetch=1)
    before = api.get(f"/api/projects/{project.pk}/queue/").json()["items"][0]["model"]["why"]
    assert before.startswith("No model yet: items come in a seeded random order")

    Assignment.objects.update(status="expired")
    embeddings_compute(project=project, device="cpu")
    cold_start_order_by_typicality(project=project)
    after = api.get(f"/api/projects/{project.pk}/queue/").json()["items"][0]["model"]["why"]
    assert after.startswith("No model yet: this is a typical item of one of the pool's clusters")
