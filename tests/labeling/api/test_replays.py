import time

import pytest
from rest_framework.test import APIClient

from labeling.models import StrategyReplay
from labeling.tasks import strategy_replay_task
from tests.labeling.helpers import label_in_cold_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_api(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def project(make_digits_project, annotator):
    project = make_digits_project(per_class=20, retrain_every=5)
    label_in_cold_order(project, annotator, 24)
    return project


def test_staff_start_a_replay_and_read_its_advice_and_plot(staff_api, project):
    response = staff_api.post(f"/api/projects/{project.pk}/replays/", {"strategies": ["margin"], "seeds": 1},
                              format="json")  # fmt: skip
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["strategies"], body["batch_size"], body["seeds"]) == ("queued", ["margin"], 5, 1)
    assert body["progress"] == {"done": 0, "total": 2} and body["plot_url"] is None

    strategy_replay_task(body["id"])  # in-process; the worker path is the next test's

    detail = staff_api.get(f"/api/projects/{project.pk}/replays/{body['id']}/").json()
    assert detail["status"] == "done" and detail["progress"] == {"done": 2, "total": 2}
    assert detail["recommendation"]["strategy"] is None  # too few labels to tell, and it says so
    assert detail["recommendation"]["reason"].startswith("Too few labels to tell")
    assert {s["name"] for s in detail["result"]["summaries"]} == {"margin", "random"}
    plot = staff_api.get(detail["plot_url"])
    assert plot.status_code == 200 and plot["Content-Type"] == "image/svg+xml" and b"<svg" in plot.content
    listed = staff_api.get(f"/api/projects/{project.pk}/replays/").json()
    assert [r["id"] for r in listed] == [body["id"]] and "result" not in listed[0]


def test_viewers_read_replays_but_start_none_and_annotators_do_neither(api, project):
    from labeling.services.projects import project_member_add
    from tests.factories import UserFactory

    user = UserFactory(username="viewer")
    project_member_add(project=project, user=user, role="viewer")
    viewer = APIClient()
    viewer.force_authenticate(user)
    response = viewer.post(f"/api/projects/{project.pk}/replays/", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "message": f"As viewer of project {project.pk} you cannot manage it; ask its owner for another role.",
        "extra": {"project": project.pk, "role": "viewer", "action": "manage"},
    }
    assert viewer.get(f"/api/projects/{project.pk}/replays/").json() == []
    assert api.get(f"/api/projects/{project.pk}/replays/").status_code == 403


def test_a_second_replay_is_refused_with_409_while_the_first_is_queued(staff_api, project):
    assert staff_api.post(f"/api/projects/{project.pk}/replays/", {"seeds": 1}, format="json").status_code == 202
    response = staff_api.post(f"/api/projects/{project.pk}/replays/", {"seeds": 1}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "message": "A replay of project 'digits' is already queued or running.", "extra": {"project": project.pk}
    }


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"strategies": ["oracle"]}, {"message": "Unknown strategies ['oracle']; known: " + ", ".join(
            __import__("learner.ranking", fromlist=["STRATEGY_NAMES"]).STRATEGY_NAMES) + ".",
            "extra": {"strategies": ["oracle"]}}),
        ({"seeds": 0}, {"message": "Invalid input.",
                        "extra": {"fields": {"seeds": ["Ensure this value is greater than or equal to 1."]}}}),
        ({"batch_size": 20}, {"message": "A replay needs labels of at least two classes and at least two batches "
                                         "(40); project 'digits' has 24 labels of 3 classes.",
                              "extra": {"labels": 24, "classes": 3, "batch_size": 20}}),
    ],
)  # fmt: skip
def test_bad_requests_get_400_and_queue_nothing(staff_api, project, payload, expected):
    response = staff_api.post(f"/api/projects/{project.pk}/replays/", payload, format="json")
    assert response.status_code == 400 and response.json() == expected
    assert not StrategyReplay.objects.exists()


def test_the_plot_of_an_unfinished_replay_is_404_with_the_reason(staff_api, project):
    replay_id = staff_api.post(f"/api/projects/{project.pk}/replays/", {"seeds": 1}, format="json").json()["id"]
    response = staff_api.get(f"/api/projects/{project.pk}/replays/{replay_id}/plot.svg")
    assert response.status_code == 404
    assert response.json()["message"] == f"Replay {replay_id} has no plot yet (status queued)."
    assert staff_api.get(f"/api/projects/{project.pk}/replays/{replay_id + 1}/").status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_replay_with_progress(celery_worker, staff_api, project):
    replay_id = staff_api.post(f"/api/projects/{project.pk}/replays/", {"strategies": ["entropy"], "seeds": 2},
                               format="json").json()["id"]  # fmt: skip
    deadline, seen = time.monotonic() + 120, set()
    while time.monotonic() < deadline:
        body = staff_api.get(f"/api/projects/{project.pk}/replays/{replay_id}/").json()
        seen.add(body["progress"]["done"])
        if body["status"] in {"done", "failed"}:
            break
        time.sleep(0.1)
    assert body["status"] == "done", body["error"]
    assert body["progress"] == {"done": 4, "total": 4} and body["recommendation"]["reason"]
