import pytest

from labeling.models import ModelVersion, StrategyReplay
from labeling.selectors.dashboard import (
    accuracy_points,
    annotator_rows,
    dashboard_active,
    random_curve,
    stopping_advice,
)
from learner.stopping import wilson_interval

pytestmark = pytest.mark.django_db


def test_points_are_the_finished_versions_with_evaluation_items(make_digits_project):
    project = make_digits_project(per_class=2)
    ModelVersion.objects.create(project=project, number=1, strategy="entropy", status="done", labels_used=20,
                                metrics={"eval_accuracy": 0.8, "n_eval": 10})  # fmt: skip
    ModelVersion.objects.create(project=project, number=2, strategy="entropy", status="failed", labels_used=40)
    points = accuracy_points(project=project)
    assert [(p.version, p.labels, p.value) for p in points] == [(1, 20, 0.8)]
    assert (points[0].low, points[0].high) == pytest.approx(wilson_interval(8, 10))


def test_random_curve_is_the_mean_over_the_replays_seeds(make_digits_project):
    project = make_digits_project(per_class=2)
    curves = [{"strategy": "random", "labels": [10, 20], "accuracy": [0.5, 0.7]},
              {"strategy": "random", "labels": [10, 20], "accuracy": [0.6, 0.9]},
              {"strategy": "margin", "labels": [10, 20], "accuracy": [0.9, 0.9]}]  # fmt: skip
    replay = StrategyReplay.objects.create(project=project, strategies=["margin"], batch_size=10, seeds=2,
                                           status="done", result={"curves": curves})  # fmt: skip
    assert random_curve(replay=replay) == [(10, pytest.approx(0.55)), (20, pytest.approx(0.8))]


def test_the_dashboard_is_active_only_while_something_runs(make_digits_project):
    project = make_digits_project(per_class=2)
    assert not dashboard_active(project=project)
    ModelVersion.objects.create(project=project, number=1, strategy="entropy", status="queued")
    assert dashboard_active(project=project)


def test_annotator_rows_show_pace_skips_and_accuracy_where_the_class_is_known(make_digits_project, annotator):
    from labeling.models import Item, Label, Skip
    from tests.factories import UserFactory

    project = make_digits_project(per_class=4, eval_fraction=0.0)
    sloppy = UserFactory(username="sloppy")
    items = list(Item.objects.filter(project=project).select_related("gold_class").order_by("id"))
    wrong = {c.name: c for c in project.label_classes.all()}
    for item, duration in zip(items[:3], (1000, 2000, 4000), strict=True):
        Label.objects.create(item=item, annotator=annotator, label_class=item.gold_class, duration_ms=duration)
    for item in items[3:5]:
        other = next(c for name, c in wrong.items() if name != item.gold_class.name)
        Label.objects.create(item=item, annotator=sloppy, label_class=other, duration_ms=500)
    Skip.objects.create(item=items[6], annotator=sloppy, reason="unsure")

    rows = {row.username: row for row in annotator_rows(project=project)}

    ann, bad = rows["ann"], rows["sloppy"]
    assert (ann.labels, ann.median_seconds, ann.skips, ann.known_accuracy) == (3, 2.0, 0, 1.0)
    assert (bad.labels, bad.skips, bad.skip_rate, bad.known_accuracy) == (2, 1, pytest.approx(1 / 3), 0.0)


def test_stopping_advice_reads_the_curve_and_the_stop_set(make_digits_project):
    project = make_digits_project(per_class=2, label_budget=400)
    flat = ["0"] * 50
    for number, (labels, accuracy) in enumerate([(50, 0.80), (100, 0.86), (150, 0.88), (200, 0.885), (250, 0.886)],
                                                 start=1):  # fmt: skip
        predicted = flat if number > 1 else ["1"] * 50
        ModelVersion.objects.create(
            project=project, number=number, strategy="entropy", status="done", labels_used=labels,
            metrics={"eval_accuracy": accuracy, "n_eval": 1000,
                     "stop_set": {"ids": list(range(50)), "predicted": predicted}},
        )  # fmt: skip

    advice = stopping_advice(project=project, points=accuracy_points(project=project))

    # 0.860 -> 0.886 over the last three versions, +-2.9 on 1,000 items: not clearly climbing; the stop set's
    # predictions have not moved since version 2: settled, so the stop set's verdict stands
    assert advice.sentence == (
        "The last 150 labels gained 2.6 points ± 2.9; predictions changed on 0.0% of stop-set items (mean kappa "
        "1.000 over the last 3 retrains, settled at 0.99); the fitted curve projects 89.2% at 400 labels "
        "(+0.5 points, at most +1.9) and levels off within 1 point: more labels buy little."
    )  # before the fitted curve's band (+1.9 at most) vetoed this stop
    assert advice.verdict == "more labels buy little"


def test_stopping_advice_before_any_version_says_too_early(make_digits_project):
    project = make_digits_project(per_class=2)
    assert stopping_advice(project=project, points=[]).sentence == "No model version yet: too early to tell."


def test_agreement_with_others_where_items_have_several_labels(make_digits_project, annotator):
    from labeling.models import Item, Label
    from tests.factories import UserFactory

    project = make_digits_project(per_class=4, eval_fraction=0.0)
    second = UserFactory(username="second")
    items = list(Item.objects.filter(project=project).order_by("id")[:3])
    zero, one = project.label_classes.get(name="0"), project.label_classes.get(name="1")
    for item, (mine, theirs) in zip(items, [(zero, zero), (zero, one), (one, one)], strict=True):
        Label.objects.create(item=item, annotator=annotator, label_class=mine)
        Label.objects.create(item=item, annotator=second, label_class=theirs)

    rows = {row.username: row for row in annotator_rows(project=project)}

    assert (rows["ann"].shared, rows["ann"].agreement) == (3, pytest.approx(2 / 3))
    assert rows["second"].agreement == pytest.approx(2 / 3)
