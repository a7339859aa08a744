import pytest

from labeling.models import ModelVersion

pytestmark = pytest.mark.django_db


def test_annotate_page_shows_an_item_with_keyed_class_buttons(client, annotator, make_digits_project):
    project = make_digits_project(per_class=2)
    client.force_login(annotator)
    html = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert 'data-key="1"' in html and 'data-key="3"' in html
    assert "/api/items/" in html and "cold start" in html


def test_bad_label_shows_the_error_and_keeps_the_item(client, annotator, make_digits_project):
    project = make_digits_project(per_class=2)
    client.force_login(annotator)
    page = client.get(f"/projects/{project.pk}/annotate/")
    item_id = page.context["assignment"].item_id

    response = client.post(f"/projects/{project.pk}/items/{item_id}/label/", {"label": "nope", "duration_ms": "5"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Unknown class &#x27;nope&#x27;" in html
    assert f'data-item-id="{item_id}"' in html


def test_dashboard_is_for_staff_and_shows_versions(client, annotator, admin_user, make_digits_project):
    project = make_digits_project(per_class=2)
    ModelVersion.objects.create(
        project=project, number=1, strategy="entropy", status="done", labels_used=20,
        metrics={"eval_accuracy": 0.875, "train_seconds": 1.25, "metric": "macro_f1", "eval_score": 0.41,
                 "majority_baseline": 0.45, "below_majority_baseline": True},
    )  # fmt: skip
    client.force_login(annotator)
    assert client.get(f"/projects/{project.pk}/dashboard/").status_code == 302  # to the login page

    client.force_login(admin_user)
    html = client.get(f"/projects/{project.pk}/dashboard/").content.decode()
    assert "v1" in html and "88%" in html and "0 / 500" in html
    assert "0.410 (macro_f1) / 0.450" in html and "below the majority-class baseline" in html


def test_other_peoples_projects_are_404(client, make_digits_project):
    from tests.factories import UserFactory

    project = make_digits_project(per_class=2)
    client.force_login(UserFactory(username="stranger"))
    assert client.get(f"/projects/{project.pk}/annotate/").status_code == 404


def test_staff_replay_strategies_from_the_dashboard_and_read_the_advice(client, annotator, admin_user,
                                                                        make_digits_project):  # fmt: skip
    from labeling.models import Item, StrategyReplay
    from labeling.services.labels import label_submit
    from labeling.tasks import strategy_replay_task

    project = make_digits_project(per_class=12, retrain_every=4)
    client.force_login(admin_user)
    refused = client.post(f"/projects/{project.pk}/replay/", follow=True).content.decode()
    assert "A replay needs labels of at least two classes" in refused and not StrategyReplay.objects.exists()

    for item in Item.objects.filter(project=project, split="pool").select_related("gold_class").order_by("cold_rank"):
        label_submit(project=project, item_id=item.pk, annotator=annotator, class_name=item.gold_class.name)
    queued = client.post(f"/projects/{project.pk}/replay/", follow=True).content.decode()
    replay = StrategyReplay.objects.get(project=project)
    assert "Strategy replay queued" in queued and f"0 / {replay.runs_total} runs" in queued

    StrategyReplay.objects.filter(pk=replay.pk).update(strategies=["margin"], seeds=1)  # the page is the point here
    strategy_replay_task(replay.pk)

    html = client.get(f"/projects/{project.pk}/dashboard/").content.decode()
    replay.refresh_from_db()
    assert f"Recommendation: {replay.result['recommendation']['strategy']}." in html
    assert f"/api/projects/{project.pk}/replays/{replay.pk}/plot.svg" in html
    assert html.count("<tr><td>") >= 2  # a row per replayed strategy, random included
