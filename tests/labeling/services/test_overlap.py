"""Several labels per item: distinct annotators, started items first, never more than k at once."""

import threading
from collections import Counter

import pytest
from django.db import connection

from labeling.exceptions import BudgetReachedError, ItemNotHeldError
from labeling.models import Assignment, Label, LabelChange
from labeling.services.assignments import assignment_next, assignment_queue
from labeling.services.labels import label_submit
from tests.factories import UserFactory


@pytest.mark.django_db
def test_an_item_goes_to_k_distinct_annotators_then_no_further(make_digits_project, annotator):
    project = make_digits_project(per_class=2, eval_fraction=0.0, prefetch=1, labels_per_item=2, audit_fraction=0.0)
    second, third = UserFactory(username="second"), UserFactory(username="third")

    first_item = assignment_next(project=project, annotator=annotator).item_id
    label_submit(project=project, item_id=first_item, annotator=annotator, class_name="0")
    again = assignment_next(project=project, annotator=annotator).item_id
    started = assignment_next(project=project, annotator=second).item_id
    label_submit(project=project, item_id=started, annotator=second, class_name="1")
    later = assignment_next(project=project, annotator=third).item_id

    assert again != first_item  # never the same item twice to one annotator
    assert started == first_item  # the started item comes before fresh ones, so it completes
    assert later not in (first_item,)  # it has its two labels: nobody else gets it
    assert Label.objects.filter(item_id=first_item).count() == 2


@pytest.mark.django_db
def test_with_one_label_per_item_a_label_for_an_item_someone_labeled_is_refused(make_digits_project, annotator):
    project = make_digits_project(per_class=2, eval_fraction=0.0, prefetch=1, audit_fraction=0.0)
    other = UserFactory(username="other")
    item_id = assignment_next(project=project, annotator=annotator).item_id
    label_submit(project=project, item_id=item_id, annotator=annotator, class_name="0")

    with pytest.raises(ItemNotHeldError, match="not yours to label"):
        label_submit(project=project, item_id=item_id, annotator=other, class_name="1")
    assert list(Label.objects.values_list("annotator__username", "label_class__name")) == [("ann", "0")]


@pytest.mark.django_db(transaction=True)
def test_annotators_asking_at_once_never_push_an_item_past_k(make_digits_project, annotator):
    """Twelve annotators top up their queues at the same moment, each on its own PostgreSQL
    connection: no item is ever held by more than k of them, nor twice by one. (A top-up waits for
    an item another is taking before it holds an item, and passes over such items after; in runs
    here all 18 places were filled, six annotators getting 3 items and six none.)"""
    k, n_items = 3, 6
    project = make_digits_project(
        per_class=2, eval_fraction=0.0, prefetch=3, labels_per_item=k, audit_fraction=0.0, gold_rate=0.0
    )
    users = [UserFactory(username=f"u{i}") for i in range(12)]
    got: list[int] = []
    errors = _at_once(users, lambda user: got.append(len(assignment_queue(project=project, annotator=user))))

    open_holds = Assignment.objects.filter(status=Assignment.Status.OPEN)
    per_item = Counter(open_holds.values_list("item_id", flat=True))
    per_pair = Counter(open_holds.values_list("item_id", "annotator_id"))
    assert errors == []
    assert max(per_pair.values()) == 1  # never one item twice to one annotator
    assert max(per_item.values()) <= k  # never past k, however the twelve interleave
    assert len(per_item) == n_items and sum(got) == sum(per_item.values())  # every item handed out


@pytest.mark.django_db(transaction=True)
def test_annotators_answering_at_once_never_pass_the_budget(make_digits_project, annotator):
    """Eight annotators each hold an item when one label is left in the budget, and answer at the
    same moment on their own connections: exactly one label is saved, the others get the budget's
    409 and save nothing (the budget is checked last in the answer, under the project row's lock)."""
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=1, audit_fraction=0.0, gold_rate=0.0,
                                  label_budget=1)  # fmt: skip
    users = [UserFactory(username=f"a{i}") for i in range(8)]
    held = {user: assignment_queue(project=project, annotator=user)[0].item_id for user in users}
    errors = _at_once(users, lambda user: label_submit(project=project, item_id=held[user], annotator=user,
                                                       class_name="0"))  # fmt: skip
    assert [type(e) for e in errors] == [BudgetReachedError] * 7  # one saved, seven refused
    assert Label.objects.count() == 1 and LabelChange.objects.count() == 1


def _at_once(users, act) -> list[Exception]:
    """Run act(user) for every user at the same moment, each thread on its own database
    connection; the exceptions they raised."""
    start, errors = threading.Barrier(len(users)), []

    def run(user) -> None:
        try:
            start.wait()
            act(user)
        except Exception as exc:  # a thread's failure is reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_a_top_up_never_waits_for_a_retrain_publishing_its_ranking(make_digits_project, annotator):
    """A retrain writes its ranking in one transaction, and at its commit each ItemScore row's
    (deferred) foreign-key check takes a KEY SHARE lock on its item. Taking an item must not wait
    for those locks: under 50 annotators, waiting on them with a second item locked deadlocked and
    failed the retrain. Here the checks run at once (SET CONSTRAINTS ALL IMMEDIATE), so the locks
    are held while the top-up runs with a 2 s lock timeout."""
    from django.db import transaction

    from labeling.models import Item, ItemScore, ModelVersion

    project = make_digits_project(per_class=2, eval_fraction=0.0, prefetch=3, audit_fraction=0.0, gold_rate=0.0)
    version = ModelVersion.objects.create(project=project, number=1, strategy="margin", status="running")
    items = list(Item.objects.filter(project=project))
    written, release = threading.Event(), threading.Event()

    def publish() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                ItemScore.objects.bulk_create(ItemScore(model_version=version, item=item, score=0.0, rank=rank)
                                              for rank, item in enumerate(items))  # fmt: skip
                written.set()
                release.wait(30)
        finally:
            connection.close()

    retrain = threading.Thread(target=publish)
    retrain.start()
    try:
        assert written.wait(30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            queue = assignment_queue(project=project, annotator=annotator)
    finally:
        release.set()
        retrain.join()
    assert len(queue) == 3
