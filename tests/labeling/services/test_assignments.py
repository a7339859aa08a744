from datetime import timedelta

import pytest
from django.utils import timezone

from labeling.models import Assignment, Item, ItemScore, ModelVersion
from labeling.services.assignments import assignment_next, assignment_queue
from tests.factories import UserFactory
from tests.labeling.helpers import label_item

pytestmark = pytest.mark.django_db


def test_cold_start_follows_the_seeded_random_order_not_import_order(make_digits_project, annotator):
    project = make_digits_project(per_class=10, eval_fraction=0.0, prefetch=1)
    served = []
    for _ in range(5):
        assignment = assignment_next(project=project, annotator=annotator)
        served.append(assignment.item)
        label_item(project=project, item_id=assignment.item_id, annotator=annotator, class_name="0")

    assert [item.cold_rank for item in served] == [0, 1, 2, 3, 4]
    assert [item.pk for item in served] != sorted(item.pk for item in served)  # not import order


def test_an_annotator_keeps_their_item_until_they_label_it(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    first = assignment_next(project=project, annotator=annotator)
    assert assignment_next(project=project, annotator=annotator).pk == first.pk


def test_two_annotators_never_get_the_same_item(make_digits_project, annotator):
    project = make_digits_project(per_class=4)
    other = UserFactory(username="other")
    a = assignment_next(project=project, annotator=annotator)
    b = assignment_next(project=project, annotator=other)
    assert a.item_id != b.item_id


def test_an_annotator_holds_the_prefetch_across_tabs_and_the_fetch_renews_the_leases(make_digits_project, annotator):
    project = make_digits_project(per_class=10, prefetch=3)
    first_tab = assignment_queue(project=project, annotator=annotator)
    Assignment.objects.update(expires_at=timezone.now() + timedelta(seconds=5))
    second_tab = assignment_queue(project=project, annotator=annotator)

    assert len(first_tab) == 3 and [a.pk for a in second_tab] == [a.pk for a in first_tab]
    assert Assignment.objects.filter(status="open").count() == 3
    assert all(a.expires_at > timezone.now() + timedelta(minutes=5) for a in Assignment.objects.all())


def test_abandoned_items_return_to_the_pool(make_digits_project, annotator):
    project = make_digits_project(per_class=4, prefetch=1)
    first = assignment_next(project=project, annotator=annotator)
    Assignment.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    again = assignment_next(project=project, annotator=UserFactory(username="other"))

    assert again.item_id == first.item_id
    first.refresh_from_db()
    assert first.status == Assignment.Status.EXPIRED


def test_the_newest_finished_ranking_decides(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.0)
    pool = list(Item.objects.filter(project=project).order_by("cold_rank"))
    old = ModelVersion.objects.create(project=project, number=1, strategy="entropy", status="done")
    new = ModelVersion.objects.create(project=project, number=2, strategy="entropy", status="done")
    ModelVersion.objects.create(project=project, number=3, strategy="entropy", status="running")
    ItemScore.objects.create(model_version=old, item=pool[0], score=9.0, rank=0)
    ItemScore.objects.create(model_version=new, item=pool[5], score=2.0, rank=0)
    ItemScore.objects.create(model_version=new, item=pool[6], score=1.0, rank=1)

    project.prefetch = 1
    project.save()
    first = assignment_next(project=project, annotator=annotator)
    second = assignment_next(project=project, annotator=UserFactory(username="other"))

    assert (first.item_id, first.model_version_id) == (pool[5].pk, new.pk)
    assert (second.item_id, second.model_version_id) == (pool[6].pk, new.pk)


def test_nothing_left_gives_none(make_digits_project, annotator):
    project = make_digits_project(per_class=1, eval_fraction=0.0)
    for item in Item.objects.filter(project=project):
        label_item(project=project, item_id=item.pk, annotator=annotator, class_name="0")
    assert assignment_next(project=project, annotator=annotator) is None


def test_a_new_ranking_replaces_the_held_items_behind_the_one_on_screen(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.0, prefetch=3)
    cold = assignment_queue(project=project, annotator=annotator)
    pool = list(Item.objects.filter(project=project).exclude(pk__in=[a.item_id for a in cold]).order_by("id"))
    version = ModelVersion.objects.create(project=project, number=1, strategy="entropy", status="done")
    for rank, item in enumerate(pool[:3]):
        ItemScore.objects.create(model_version=version, item=item, score=1.0 - rank / 10, rank=rank)

    queue = assignment_queue(project=project, annotator=annotator)

    assert [a.item_id for a in queue] == [cold[0].item_id, pool[0].pk, pool[1].pk]
    assert [a.model_version_id for a in queue] == [None, version.pk, version.pk]


def test_without_evaluation_items_a_share_of_served_items_are_random_audit_items(make_digits_project, annotator):
    from labeling.selectors.training import training_data_build
    from labeling.services.labels import label_submit

    project = make_digits_project(per_class=10, eval_fraction=0.0, prefetch=1, audit_fraction=0.25)
    served = []
    for _ in range(12):
        assignment = assignment_next(project=project, annotator=annotator)
        served.append(assignment.item)
        label_submit(project=project, item_id=assignment.item_id, annotator=annotator,
                     class_name=assignment.item.gold_class.name)  # fmt: skip

    audited = [item for item in served if Item.objects.get(pk=item.pk).audit]
    assert len(audited) == 3  # a quarter of the 12 served
    assert any(item.cold_rank >= 12 for item in audited)  # drawn from the whole pool, not the cold-start order
    data = training_data_build(project=project)
    assert data.n_audit == 3 and len(data.y_train) == 9 and len(data.y_eval) == 3
    assert not set(data.train_item_ids) & {item.pk for item in audited}  # never trained on


def test_projects_with_evaluation_items_serve_no_audit_items(make_digits_project, annotator):
    project = make_digits_project(per_class=10, eval_fraction=0.2, prefetch=8, audit_fraction=0.5)
    assignment_queue(project=project, annotator=annotator)
    assert not Item.objects.filter(project=project, audit=True).exists()
