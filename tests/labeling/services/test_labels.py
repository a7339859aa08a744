import pytest

from labeling.exceptions import ItemNotInProjectError, UnknownLabelClassError
from labeling.models import Assignment, Item, Label, ModelVersion
from labeling.services.assignments import assignment_next
from labeling.services.labels import label_submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _pool(project):
    return list(Item.objects.filter(project=project, split="pool").order_by("cold_rank"))


def test_label_is_saved_and_closes_the_assignment(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    assignment = assignment_next(project=project, annotator=annotator)
    assert assignment is not None

    label = label_submit(
        project=project, item_id=assignment.item_id, annotator=annotator, class_name="1", duration_ms=850
    )

    assert (label.label_class.name, label.duration_ms, label.annotator) == ("1", 850, annotator)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.DONE


def test_labeling_again_changes_the_answer_instead_of_adding_one(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    item = _pool(project)[0]
    label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="1")
    label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="2")
    assert list(Label.objects.filter(item=item).values_list("label_class__name", flat=True)) == ["2"]


def test_unknown_class_is_refused_and_nothing_saved(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    with pytest.raises(UnknownLabelClassError, match=r"Unknown class 'cat'.*classes are \['0', '1', '2'\]"):
        label_submit(project=project, item_id=_pool(project)[0].pk, annotator=annotator, class_name="cat")
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


def test_labels_from_two_annotators_count_one_item_once(
    make_digits_project, annotator, django_capture_on_commit_callbacks
):
    project = make_digits_project(per_class=10, retrain_every=2)
    other = UserFactory(username="second")
    item = _pool(project)[0]
    label_submit(project=project, item_id=item.pk, annotator=annotator, class_name="0")
    label_submit(project=project, item_id=item.pk, annotator=other, class_name="0")
    assert not ModelVersion.objects.exists()
