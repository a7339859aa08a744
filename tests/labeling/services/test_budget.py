"""The budget counters on the project row stay equal to what the label rows say."""

import pytest

from labeling.exceptions import BudgetReachedError
from labeling.models import Item, Label, ModelVersion, Project
from labeling.services.assignments import assignment_next
from labeling.services.budget import labels_recount
from labeling.services.gold import gold_mark, gold_unmark
from labeling.services.labels import answer_undo, item_skip, label_submit


def _label_next(project, annotator, class_name="0"):
    assignment = assignment_next(project=project, annotator=annotator)
    label_submit(project=project, item_id=assignment.item_id, annotator=annotator, class_name=class_name)
    return assignment.item_id


def _counted(project):
    project.refresh_from_db()
    return project.labels_spent


def _rows(project):
    return Label.objects.filter(item__project=project, item__gold=False).count()


@pytest.mark.django_db
def test_an_undone_label_gives_its_place_in_the_budget_back(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=1, label_budget=2, audit_fraction=0.0)
    first = _label_next(project, annotator)
    _label_next(project, annotator)
    with pytest.raises(BudgetReachedError):
        assignment_next(project=project, annotator=annotator)

    answer_undo(project=project, item_id=first, annotator=annotator)
    assert _counted(project) == _rows(project) == 1
    label_submit(project=project, item_id=first, annotator=annotator, class_name="1")  # room again
    assert _counted(project) == _rows(project) == 2


@pytest.mark.django_db
def test_a_label_turned_into_a_skip_no_longer_counts(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=1, audit_fraction=0.0)
    item_id = _label_next(project, annotator)
    item_skip(project=project, item_id=item_id, annotator=annotator, reason="unsure",
              previous={"kind": "label", "label": "0"})  # fmt: skip
    assert _counted(project) == _rows(project) == 0


@pytest.mark.django_db
def test_a_changed_label_counts_once(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=1, audit_fraction=0.0)
    item_id = _label_next(project, annotator)
    label_submit(project=project, item_id=item_id, annotator=annotator, class_name="2",
                 previous={"kind": "label", "label": "0"})  # fmt: skip
    assert _counted(project) == _rows(project) == 1


@pytest.mark.django_db
def test_unmarked_gold_answers_start_to_count(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=4, gold_rate=0.5, audit_fraction=0.0)
    gold = list(Item.objects.filter(project=project).order_by("id").values_list("pk", flat=True)[:2])
    gold_mark(project=project, answers=[(gold[0], "0"), (gold[1], "1")])
    for _ in range(4):
        _label_next(project, annotator)
    assert Label.objects.filter(item_id__in=gold).count() == 2
    assert _counted(project) == 2  # gold answers cost nothing

    gold_unmark(project=project, item_ids=gold)
    assert _counted(project) == _rows(project) == 4


@pytest.mark.django_db
def test_a_retrain_comes_at_retrain_every_labeled_items_even_after_undos(make_digits_project, annotator):
    project = make_digits_project(per_class=6, eval_fraction=0.0, prefetch=1, retrain_every=3, audit_fraction=0.0)
    first = _label_next(project, annotator)
    _label_next(project, annotator)
    answer_undo(project=project, item_id=first, annotator=annotator)  # labels given 2, labeled items 1
    label_submit(project=project, item_id=first, annotator=annotator, class_name="1")  # labeled items 2
    assert not ModelVersion.objects.filter(project=project).exists()

    _label_next(project, annotator)  # labeled items 3: due
    version = ModelVersion.objects.get(project=project)
    project.refresh_from_db()
    assert (version.labels_used, project.labels_given_at_retrain) == (3, 4)


@pytest.mark.django_db
def test_a_recount_repairs_a_counter_that_drifted(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=1, audit_fraction=0.0)
    _label_next(project, annotator)
    Project.objects.filter(pk=project.pk).update(labels_spent=40)
    assert labels_recount(project=project) == 1 and _counted(project) == 1
