"""Gold items: mixed into each annotator's queue at the gold rate, answered once per annotator
whatever labels_per_item says, never counted as labels; the model may train on the known answer."""

import pytest

from labeling.exceptions import InvalidGoldError
from labeling.models import Assignment, Item, Label
from labeling.selectors.projects import labels_spent
from labeling.selectors.resolution import resolved_labels
from labeling.selectors.training import training_data_build
from labeling.services.assignments import assignment_queue
from labeling.services.gold import gold_mark, gold_unmark
from labeling.services.labels import label_submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _gold_project(make_digits_project, gold_rate=0.5):
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=4, gold_rate=gold_rate, audit_fraction=0.0)
    first, second = Item.objects.filter(project=project).order_by("id")[:2]
    gold_mark(project=project, answers=[(first.pk, "0"), (second.pk, "1")])
    return project, {first.pk, second.pk}


def test_gold_items_come_at_the_rate_once_to_every_annotator(make_digits_project, annotator):
    project, gold = _gold_project(make_digits_project)
    other = UserFactory(username="other")

    mine = [a.item_id for a in assignment_queue(project=project, annotator=annotator)]
    theirs = [a.item_id for a in assignment_queue(project=project, annotator=other)]

    assert [i in gold for i in mine] == [False, True, False, True]  # the 2nd and 4th at 50%
    assert {i for i in theirs if i in gold} == gold  # labels_per_item (1) does not apply to gold
    for item_id in mine:
        label_submit(project=project, item_id=item_id, annotator=annotator, class_name="2")
    again = [a.item_id for a in assignment_queue(project=project, annotator=annotator)]
    assert not gold & set(again)  # each gold item once per annotator


def test_gold_answers_cost_no_budget_and_never_resolve_or_train(make_digits_project, annotator):
    project, gold = _gold_project(make_digits_project)
    for a in assignment_queue(project=project, annotator=annotator):
        label_submit(project=project, item_id=a.item_id, annotator=annotator, class_name="2")

    assert Label.objects.filter(item_id__in=gold).count() == 2
    assert labels_spent(project=project) == 2  # the two ordinary items only
    assert not gold & set(resolved_labels(project=project))
    data = training_data_build(project=project)
    trained = dict(zip(data.train_item_ids.tolist(), data.y_train.tolist(), strict=True))
    assert {trained[i] for i in gold} == {"0", "1"}  # the known answers, not the annotator's "2"


def test_no_gold_at_a_zero_rate(make_digits_project, annotator):
    project, gold = _gold_project(make_digits_project, gold_rate=0.0)
    assert not gold & {a.item_id for a in assignment_queue(project=project, annotator=annotator)}


def test_bad_marks_are_refused_all_or_nothing(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.25)
    fresh, labeled = Item.objects.filter(project=project, split="pool").order_by("id")[:2]
    evaluation = Item.objects.filter(project=project, split="eval").first()
    Assignment.objects.create(item=labeled, annotator=annotator)
    label_submit(project=project, item_id=labeled.pk, annotator=annotator, class_name="0")

    with pytest.raises(InvalidGoldError) as error:
        gold_mark(project=project, answers=[(fresh.pk, "0"), (labeled.pk, "1"), (evaluation.pk, "2"), (fresh.pk, "9")])
    assert str(error.value).startswith("Nothing was marked: ")
    assert f"item {labeled.pk} already has 1 label(s)" in str(error.value)
    assert f"item {evaluation.pk} measures the model" in str(error.value)
    assert not Item.objects.filter(gold=True).exists()


def test_unmarked_gold_answers_count_as_labels(make_digits_project, annotator):
    project, gold = _gold_project(make_digits_project)
    for a in assignment_queue(project=project, annotator=annotator):
        label_submit(project=project, item_id=a.item_id, annotator=annotator, class_name="2")
    assert gold_unmark(project=project, item_ids=list(gold)) == 2
    assert labels_spent(project=project) == 4
