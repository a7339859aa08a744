import pytest

from labeling.models import ModelVersion

pytestmark = pytest.mark.django_db


def test_annotate_page_prints_each_class_with_its_own_key_and_inlines_the_queue(client, annotator,
                                                                               make_digits_project):  # fmt: skip
    project = make_digits_project(per_class=2, classes=("0", "1", "2"))
    client.force_login(annotator)
    response = client.get(f"/projects/{project.pk}/annotate/")
    html = response.content.decode()
    # The key printed on a button is the key that picks it: class "2" is picked by 2, not by 3.
    for name in ("0", "1", "2"):
        assert f'data-label="{name}" data-key="{name}"' in html
    page = response.context["page"]
    assert [c["key"] for c in page["classes"]] == ["0", "1", "2"]
    assert len(page["queue"]["items"]) == project.prefetch and "<h1" in html


def test_guidelines_are_rendered_sanitised_and_edited_by_owners_only(client, annotator, admin_user,
                                                                      make_digits_project):  # fmt: skip
    project = make_digits_project(per_class=2, classes=("0", "1"))
    cat, dog = project.label_classes.all()
    client.force_login(annotator)
    read_only = client.get(f"/projects/{project.pk}/guidelines/").content.decode()
    assert "No instructions yet." in read_only and "Save guidelines" not in read_only
    refused = client.post(f"/projects/{project.pk}/guidelines/", {"instructions": "mine now"})
    assert refused.status_code == 403 and "you cannot manage it" in refused.content.decode()

    client.force_login(admin_user)
    form = {"instructions": "Label the **animal**.<script>alert(1)</script>", f"description-{cat.pk}": "Whiskers",
            f"key-{cat.pk}": "c", f"examples-{cat.pk}": "", f"description-{dog.pk}": "", f"key-{dog.pk}": "c",
            f"examples-{dog.pk}": ""}  # fmt: skip
    clash = client.post(f"/projects/{project.pk}/guidelines/", form)
    assert clash.status_code == 400
    assert "Keys [&#x27;c&#x27;] are given to more than one class." in clash.content.decode()

    form[f"key-{dog.pk}"] = "d"
    assert client.post(f"/projects/{project.pk}/guidelines/", form).status_code == 302
    client.force_login(annotator)
    html = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert "Label the <strong>animal</strong>." in html and "<script>alert(1)</script>" not in html
    assert 'data-label="0" data-key="c"' in html and 'data-label="1" data-key="d"' in html


def test_dashboard_is_for_readers_and_shows_versions(client, annotator, admin_user, make_digits_project):
    project = make_digits_project(per_class=2)
    ModelVersion.objects.create(
        project=project, number=1, strategy="entropy", status="done", labels_used=20,
        metrics={"eval_accuracy": 0.875, "train_seconds": 1.25, "metric": "macro_f1", "eval_score": 0.41,
                 "majority_baseline": 0.45, "below_majority_baseline": True},
    )  # fmt: skip
    client.force_login(annotator)  # annotators label independently: they do not read results
    refused = client.get(f"/projects/{project.pk}/dashboard/")
    assert refused.status_code == 403
    assert f"As annotator of project {project.pk} you cannot read the results of it" in refused.content.decode()

    client.force_login(admin_user)
    html = client.get(f"/projects/{project.pk}/dashboard/").content.decode()
    assert "v1" in html and "88%" in html and "0 / 500" in html
    assert "What the next labels buy:</strong> No model version yet: too early to tell." in html  # no eval items
    assert "0.410 (macro_f1) / 0.450" in html and "below the majority-class baseline" in html


def test_other_peoples_projects_are_404(client, make_digits_project):
    from tests.factories import UserFactory

    project = make_digits_project(per_class=2)
    client.force_login(UserFactory(username="stranger"))
    assert client.get(f"/projects/{project.pk}/annotate/").status_code == 404


def test_staff_replay_strategies_from_the_dashboard_and_read_the_advice(client, annotator, admin_user,
                                                                        make_digits_project):  # fmt: skip
    from labeling.models import Item, StrategyReplay
    from labeling.tasks import strategy_replay_task
    from tests.labeling.helpers import label_item

    project = make_digits_project(per_class=12, retrain_every=4)
    client.force_login(admin_user)
    refused = client.post(f"/projects/{project.pk}/replay/", follow=True).content.decode()
    assert "A replay needs labels of at least two classes" in refused and not StrategyReplay.objects.exists()

    for item in Item.objects.filter(project=project, split="pool").select_related("gold_class").order_by("cold_rank"):
        label_item(project=project, item_id=item.pk, annotator=annotator, class_name=item.gold_class.name)
    bad = client.post(f"/projects/{project.pk}/replay/", {"seeds": "two"}, follow=True).content.decode()
    assert "The seeds must be a whole number, not &#x27;two&#x27;." in bad and not StrategyReplay.objects.exists()
    form = {"strategies": ["margin"], "seeds": "1", "batch_size": "4"}  # the settings, chosen in the page
    queued = client.post(f"/projects/{project.pk}/replay/", form, follow=True).content.decode()
    replay = StrategyReplay.objects.get(project=project)
    assert (replay.strategies, replay.seeds, replay.batch_size) == (["margin"], 1, 4)
    assert "Strategy replay queued" in queued and f"0 / {replay.runs_total} runs" in queued

    strategy_replay_task(replay.pk)

    html = client.get(f"/projects/{project.pk}/dashboard/").content.decode()
    replay.refresh_from_db()
    assert "No recommendation yet.</strong> Too few labels to tell" in html
    assert f"/api/projects/{project.pk}/replays/{replay.pk}/plot.svg" in html
    assert html.count("<tr><td>") >= 2  # a row per replayed strategy, random included


def test_retrain_now_without_new_labels_says_so_and_makes_nothing(client, admin_user, make_digits_project):
    project = make_digits_project(per_class=2)
    ModelVersion.objects.create(project=project, number=1, strategy="entropy", status="done", labels_used=0)
    client.force_login(admin_user)
    html = client.post(f"/projects/{project.pk}/retrain/", follow=True).content.decode()
    assert "No new labels since v1 (0 labeled items): a retrain would make the same model." in html
    assert ModelVersion.objects.count() == 1


def test_the_budget_is_raised_on_the_dashboard_and_its_colour_follows_the_spend(client, admin_user, annotator,
                                                                                make_digits_project):  # fmt: skip
    from tests.labeling.helpers import label_unlabeled

    project = make_digits_project(per_class=4, label_budget=2)
    label_unlabeled(project, annotator, 2)
    client.force_login(admin_user)
    assert 'class="budget-bar budget-over"' in client.get(f"/projects/{project.pk}/dashboard/").content.decode()

    refused = client.post(f"/projects/{project.pk}/budget/", {"label_budget": "0"}, follow=True).content.decode()
    assert "The label budget must be at least 1 label, not 0." in refused
    client.post(f"/projects/{project.pk}/budget/", {"label_budget": "2.5"})
    project.refresh_from_db()
    assert project.label_budget == 2
    html = client.post(f"/projects/{project.pk}/budget/", {"label_budget": "3"}, follow=True).content.decode()
    assert "Label budget set to 3." in html and 'class="budget-bar budget-ok"' in html  # 2 of 3 is 67%: green


def test_dashboard_polling_stops_when_nothing_runs(client, admin_user, make_digits_project):
    project = make_digits_project(per_class=2)
    client.force_login(admin_user)
    idle = client.get(f"/projects/{project.pk}/dashboard/", headers={"HX-Request": "true"})
    assert idle.status_code == 286 and "hx-trigger" not in idle.content.decode()
    ModelVersion.objects.create(project=project, number=1, strategy="entropy", status="queued")
    busy = client.get(f"/projects/{project.pk}/dashboard/", headers={"HX-Request": "true"})
    assert busy.status_code == 200 and 'hx-trigger="every 5s"' in busy.content.decode()
    assert "waiting for" in busy.content.decode()


def test_the_project_list_takes_the_same_queries_for_one_project_or_three(client, annotator, make_digits_project,
                                                                          django_assert_num_queries):  # fmt: skip
    from tests.labeling.helpers import label_unlabeled

    first = make_digits_project(per_class=2, name="first")
    label_unlabeled(first, annotator, 2)
    client.force_login(annotator)
    with django_assert_num_queries(3) as one:  # session, user, the rows
        html = client.get("/").content.decode()
    assert "2 / 500" in html
    make_digits_project(per_class=2, name="second")
    make_digits_project(per_class=2, name="third")
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get("/").content.decode().count("/annotate/") == 3


def test_the_dashboard_shows_the_latest_confusion_matrix_with_recall(client, admin_user, make_digits_project):
    project = make_digits_project(per_class=2)
    report = {"classes": ["0", "1", "2"], "confusion": [[3, 1, 0], [0, 4, 0], [1, 0, 2]],
              "recall": [0.75, 1.0, 2 / 3], "macro_f1": 0.81}  # fmt: skip
    ModelVersion.objects.create(project=project, number=1, strategy="entropy", status="done", labels_used=20,
                                metrics={"eval_accuracy": 0.82, "n_eval": 11, "eval_report": report})  # fmt: skip
    client.force_login(admin_user)
    html = client.get(f"/projects/{project.pk}/dashboard/").content.decode()
    assert "v1 class by class" in html and "Macro-F1 0.810" in html
    assert '<th scope="row">2</th><td>1</td><td>0</td><td class="diagonal">2</td><td>67%</td>' in html


def test_strategy_and_retrain_every_change_on_the_dashboard_with_validation(client, admin_user, make_digits_project):
    project = make_digits_project(per_class=2)
    client.force_login(admin_user)
    bad = client.post(f"/projects/{project.pk}/settings/", {"strategy": "psychic", "retrain_every": "5"},
                      follow=True).content.decode()  # fmt: skip
    assert "Unknown strategy &#x27;psychic&#x27;" in bad
    project.refresh_from_db()
    assert (project.strategy, project.retrain_every) == ("auto", 20)
    good = client.post(f"/projects/{project.pk}/settings/", {"strategy": "margin", "retrain_every": "5"}, follow=True)
    assert "Strategy margin, a retrain every 5 labels." in good.content.decode()
    project.refresh_from_db()
    assert (project.strategy, project.retrain_every) == ("margin", 5)


def test_owners_add_members_with_roles_change_them_and_remove_them_on_the_dashboard(client, annotator,
                                                                                     make_digits_project):  # fmt: skip
    from labeling.models import Assignment, Membership
    from labeling.services.assignments import assignment_queue
    from labeling.services.projects import project_member_add
    from tests.factories import UserFactory

    project = make_digits_project(per_class=2)
    owner, newbie = UserFactory(username="olga"), UserFactory(username="newbie")
    project_member_add(project=project, user=owner, role="owner")
    client.force_login(owner)
    url = f"/projects/{project.pk}/members/"

    def roles() -> dict[str, str]:
        return dict(Membership.objects.filter(project=project).values_list("user__username", "role"))

    unknown = client.post(url, {"username": "ghost"}, follow=True).content.decode()
    assert "No account is called &#x27;ghost&#x27;" in unknown
    added = client.post(url, {"username": "newbie", "role": "viewer"}, follow=True).content.decode()
    assert "newbie is now viewer of digits." in added
    assert roles() == {"ann": "annotator", "olga": "owner", "newbie": "viewer"}
    again = client.post(url, {"username": "newbie", "role": "owner"}, follow=True).content.decode()
    assert "newbie is already viewer of digits; change their role instead." in again

    changed = client.post(url, {"member": str(newbie.pk), "role": "reviewer"}, follow=True).content.decode()
    assert "newbie is now reviewer of digits." in changed
    last = client.post(url, {"member": str(owner.pk), "role": "viewer"}, follow=True).content.decode()
    assert "Cannot make viewer olga: they are the only owner of project" in last
    assert client.post(url, {"remove": str(owner.pk)}, follow=True).status_code == 200
    assert roles() == {"ann": "annotator", "olga": "owner", "newbie": "reviewer"}  # nothing changed by refusals

    held = assignment_queue(project=project, annotator=annotator)
    client.post(url, {"remove": str(annotator.pk)})
    assert roles() == {"olga": "owner", "newbie": "reviewer"}
    assert not Assignment.objects.filter(pk__in=[a.pk for a in held], status="open").exists()
    client.force_login(newbie)  # a reviewer reads the dashboard but sees no members form, and cannot post one
    dashboard = client.get(f"/projects/{project.pk}/dashboard/").content.decode()
    assert "Add an account by user name" not in dashboard and "Retrain now" not in dashboard
    assert client.post(url, {"username": "ann"}).status_code == 403


def _versions_on_a_known_curve(project, labels=(20, 40, 60, 80, 100), n_eval=1000):
    """Finished versions whose accuracies lie on 0.95 - 2 n^-0.6, measured on n_eval items."""
    for number, n in enumerate(labels, start=1):
        metrics = {"eval_accuracy": 0.95 - 2 * n**-0.6, "n_eval": n_eval}
        ModelVersion.objects.create(
            project=project, number=number, strategy="entropy", status="done", labels_used=n, metrics=metrics
        )


def test_the_dashboard_projects_the_budget_and_the_labels_to_a_target(client, admin_user, make_digits_project):
    project = make_digits_project(per_class=2, label_budget=500)
    _versions_on_a_known_curve(project)
    client.force_login(admin_user)
    page = client.get(f"/projects/{project.pk}/dashboard/").content.decode()
    # 0.95 - 2 * 500^-0.6 = 0.902: the fit to points on the curve finds it
    assert "Projected at the budget (500 labels): <strong>0.902</strong>" in page
    assert 'class="band"' in page and 'class="fit"' in page  # drawn on the chart
    assert "Target" not in page.split('id="outlook"')[1].split("<form")[0]  # no target set: no target line

    bad = client.post(f"/projects/{project.pk}/target/", {"target_score": "ninety"}, follow=True).content.decode()
    assert "The target score must be a number between 0 and 1, not &#x27;ninety&#x27;." in bad
    too_high = client.post(f"/projects/{project.pk}/target/", {"target_score": "90"}, follow=True).content.decode()
    assert "target_score" in too_high and "less than or equal to 1.0" in too_high
    project.refresh_from_db()
    assert project.target_score is None

    page = client.post(f"/projects/{project.pk}/target/", {"target_score": "0.9"}, follow=True).content.decode()
    assert "Target score set to 0.900." in page
    # 0.95 - 2 n^-0.6 = 0.9 at n = 40^(5/3) = 467.9: about 468 labels, within the budget
    assert "about <strong>468</strong> labels in all" in page
    page = client.post(f"/projects/{project.pk}/target/", {"target_score": "0.7"}, follow=True).content.decode()
    assert "reached by v2." in page  # 0.95 - 2 * 20^-0.6 = 0.618, 0.95 - 2 * 40^-0.6 = 0.731


def test_a_target_above_the_curves_ceiling_is_never_reached(client, admin_user, make_digits_project):
    project = make_digits_project(per_class=2, label_budget=500)
    _versions_on_a_known_curve(project)
    project.target_score = 0.97
    project.save()
    client.force_login(admin_user)
    page = client.get(f"/projects/{project.pk}/dashboard/").content.decode()
    assert "the fitted curve levels off below it" in page


def test_the_project_list_names_each_role_and_links_only_what_it_may_open(client, make_digits_project):
    from labeling.services.projects import project_member_add
    from tests.factories import UserFactory

    labeled = make_digits_project(name="labeled", per_class=1)
    watched = make_digits_project(name="watched", per_class=1)
    user = UserFactory(username="mixed")
    project_member_add(project=labeled, user=user, role="annotator")
    project_member_add(project=watched, user=user, role="viewer")
    client.force_login(user)
    rows = {row.project.name: row for row in client.get("/").context["rows"]}
    assert {name: row.role for name, row in rows.items()} == {"labeled": "annotator", "watched": "viewer"}
    html = client.get("/").content.decode()
    assert f'href="/projects/{labeled.pk}/annotate/"' in html
    assert f'href="/projects/{labeled.pk}/dashboard/"' not in html
    assert f'href="/projects/{watched.pk}/dashboard/"' in html
    assert f'href="/projects/{watched.pk}/annotate/"' not in html
    assert "New project" not in html
