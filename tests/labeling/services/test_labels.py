import uuid

import pytest

from labeling.exceptions import (
    BudgetReachedError,
    InvalidSkipError,
    ItemNotHeldError,
    ItemNotInProjectError,
    UnknownLabelClassError,
)
from labeling.models import Assignment, Item, Label, LabelChange, ModelVersion, Skip
from labeling.services.assignments import assignment_next, assignment_queue
from labeling.services.labels import answer_undo, item_skip, label_submit
from tests.factories import UserFactory
from tests.labeling.helpers import give

pytestmark = pytest.mark.django_db


def _pool(project):
    return list(Item.objects.filter(project=project, split="pool").order_by("cold_rank"))


def _history(item):
    return [
        (c.previous_class.name if c.previous_class else None, c.label_class.name if c.label_class else None)
        for c in LabelChange.objects.filter(item=item).select_related("label_class", "previous_class")
    ]


def test_label_is_saved_closes_the_lease_and_starts_the_history(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    assignment = assignment_next(project=project, annotator=annotator)

    saved = label_submit(
        project=project, item_id=assignment.item_id, annotator=annotator, class_name="1", duration_ms=850
    )

    assert saved.created and saved.answer.as_dict() == {"kind": "label", "label": "1"}
    label = Label.objects.get()
    assert (label.label_class.name, label.duration_ms, label.annotator) == ("1", 850, annotator)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.DONE
    assert _history(assignment.item) == [(None, "1")]


def test_changing_an_answer_names_the_answer_seen_and_keeps_the_old_one(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    item = assignment_next(project=project, annotator=annotator).item
    label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="1")

    label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="2",
                 previous={"kind": "label", "label": "1"})  # fmt: skip

    assert list(Label.objects.filter(item=item).values_list("label_class__name", flat=True)) == ["2"]
    assert _history(item) == [(None, "1"), ("1", "2")]


def test_a_stale_tab_cannot_overwrite_an_answer_it_never_saw(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    item = assignment_next(project=project, annotator=annotator).item
    label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="1")  # the first tab

    with pytest.raises(ItemNotHeldError, match=rf"Item {item.pk} was already labeled '1' at .* another tab"):
        label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="2")  # the second tab
    assert Label.objects.get().label_class.name == "1" and _history(item) == [(None, "1")]


def test_items_never_given_or_now_someone_elses_are_refused(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    other = UserFactory(username="other")
    never_given = _pool(project)[-1]
    with pytest.raises(ItemNotHeldError, match="it was not given to you"):
        label_submit(project=project, item_id=never_given.pk, annotator=annotator, class_name="1")

    mine = assignment_next(project=project, annotator=annotator)
    Assignment.objects.filter(pk=mine.pk).update(status=Assignment.Status.EXPIRED)  # the lease ran out
    give(mine.item_id, other)
    with pytest.raises(ItemNotHeldError, match="your hold on it ran out and it went to someone else"):
        label_submit(project=project, item_id=mine.item_id, annotator=annotator, class_name="1")
    assert not Label.objects.exists()


def test_a_lapsed_lease_nobody_took_is_taken_again(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    mine = assignment_next(project=project, annotator=annotator)
    Assignment.objects.filter(pk=mine.pk).update(status=Assignment.Status.EXPIRED)

    label_submit(project=project, item_id=mine.item_id, annotator=annotator, class_name="1")

    assert Label.objects.get().item_id == mine.item_id


def test_a_retried_request_is_applied_once(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    item = assignment_next(project=project, annotator=annotator).item
    key = uuid.uuid4()

    first = label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="1", idempotency_key=key)
    again = label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="1", idempotency_key=key)

    assert (first.created, again.created) == (True, False)
    assert Label.objects.count() == 1 and LabelChange.objects.count() == 1


def test_undo_withdraws_the_label_and_gives_the_item_back(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    item = assignment_next(project=project, annotator=annotator).item
    label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="1")

    held = answer_undo(project=project, item_id=item.pk, annotator=annotator)

    assert (held.item_id, held.status, held.annotator) == (item.pk, "open", annotator)
    assert not Label.objects.exists() and _history(item) == [(None, "1"), ("1", None)]
    assert answer_undo(project=project, item_id=item.pk, annotator=annotator).pk == held.pk  # twice is harmless
    label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="2")
    assert Label.objects.get().label_class.name == "2"


def test_undo_of_nothing_is_refused(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    with pytest.raises(ItemNotHeldError, match="Nothing to undo"):
        answer_undo(project=project, item_id=_pool(project)[0].pk, annotator=annotator)


def test_skips_are_counted_never_trained_on_and_unsure_goes_to_someone_else(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=1)
    other = UserFactory(username="other")
    unsure = assignment_next(project=project, annotator=annotator).item
    item_skip(project=project, item_id=unsure.pk, annotator=annotator, reason="unsure")
    bad = assignment_next(project=project, annotator=annotator).item
    item_skip(project=project, item_id=bad.pk, annotator=annotator, reason="bad")

    assert not Label.objects.exists()
    assert sorted(Skip.objects.values_list("reason", flat=True)) == ["bad", "unsure"]
    mine_next = assignment_next(project=project, annotator=annotator).item
    assert mine_next.pk not in (unsure.pk, bad.pk)
    served_to_other = {a.item_id for a in assignment_queue(project=project, annotator=other)}
    project.prefetch = 20
    project.save()
    served_to_other |= {a.item_id for a in assignment_queue(project=project, annotator=other)}
    assert unsure.pk in served_to_other and bad.pk not in served_to_other


def test_a_skip_with_a_note_needs_the_note_and_a_known_reason(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    item = assignment_next(project=project, annotator=annotator).item
    with pytest.raises(InvalidSkipError, match="needs the note's text"):
        item_skip(project=project, item_id=item.pk, annotator=annotator, reason="note", note="  ")
    with pytest.raises(InvalidSkipError, match="Unknown skip reason 'later'"):
        item_skip(project=project, item_id=item.pk, annotator=annotator, reason="later")
    item_skip(project=project, item_id=item.pk, annotator=annotator, reason="note", note="two digits in one")
    assert Skip.objects.get().note == "two digits in one"


def test_a_label_turned_into_a_skip_keeps_the_label_in_the_history(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    item = assignment_next(project=project, annotator=annotator).item
    label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="1")
    item_skip(project=project, item_id=item.pk, annotator=annotator, reason="unsure",
              previous={"kind": "label", "label": "1"})  # fmt: skip
    assert not Label.objects.exists() and Skip.objects.get().reason == "unsure"
    assert _history(item) == [(None, "1"), ("1", None)]


def test_the_budget_stops_new_labels_and_the_queue_but_not_corrections(make_digits_project, annotator):
    project = make_digits_project(per_class=4, label_budget=2)
    queue = assignment_queue(project=project, annotator=annotator)
    for assignment in queue[:2]:
        label_submit(project=project, item_id=assignment.item_id, annotator=annotator, class_name="1")

    with pytest.raises(BudgetReachedError, match=r"used its label budget \(2 of 2 labels\)"):
        label_submit(project=project, item_id=queue[2].item_id, annotator=annotator, class_name="1")
    with pytest.raises(BudgetReachedError):
        assignment_queue(project=project, annotator=annotator)
    label_submit(project=project, item_id=queue[0].item_id, annotator=annotator, class_name="2",
                 previous={"kind": "label", "label": "1"})  # fmt: skip
    assert Label.objects.count() == 2

    project.label_budget = 3
    project.save()
    assert assignment_queue(project=project, annotator=annotator)


def test_unknown_class_is_refused_and_nothing_saved(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    item = assignment_next(project=project, annotator=annotator).item
    with pytest.raises(UnknownLabelClassError, match=r"Unknown class 'cat'.*classes are \['0', '1', '2'\]"):
        label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="cat")
    assert not Label.objects.exists()


def test_item_of_another_project_is_refused_and_nothing_saved(make_digits_project, annotator):
    mine = make_digits_project(per_class=4, name="mine")
    other = make_digits_project(per_class=4, name="other")
    with pytest.raises(ItemNotInProjectError, match="is not a labelable item of project 'mine'"):
        label_submit(project=mine, item_id=_pool(other)[0].pk, annotator=annotator, class_name="1")
    assert not Label.objects.exists()


def test_evaluation_items_cannot_be_labeled(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    eval_item = Item.objects.filter(project=project, split="eval").first()
    with pytest.raises(ItemNotInProjectError):
        label_submit(project=project, item_id=eval_item.pk, annotator=annotator, class_name="1")


def test_retrain_is_queued_on_commit_after_every_n_labels(
    make_digits_project, annotator, django_capture_on_commit_callbacks
):
    project = make_digits_project(per_class=10, retrain_every=5)
    items = _pool(project)
    for item in items:
        give(item.pk, annotator)
    with django_capture_on_commit_callbacks() as callbacks:
        for item in items[:4]:
            label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="0")
    assert not ModelVersion.objects.exists() and callbacks == []

    with django_capture_on_commit_callbacks() as callbacks:
        label_submit(project=project, item_id=items[4].pk, annotator=annotator, class_name="0")
    version = ModelVersion.objects.get()
    assert (version.number, version.status, version.labels_used, version.strategy) == (1, "queued", 5, "auto")
    assert len(callbacks) == 1  # the task is sent only once the label is committed

    # While one run is queued, more labels never queue a second.
    with django_capture_on_commit_callbacks() as callbacks:
        for item in items[5:11]:
            label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="0")
    assert ModelVersion.objects.count() == 1 and callbacks == []
