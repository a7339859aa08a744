"""The hand-written serving queries mean what the ORM versions of them mean, on mixed states."""

import random
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.forms.models import model_to_dict

from labeling.models import Assignment, Item, ItemScore, Label, ModelVersion, Skip
from labeling.selectors.items import _free
from labeling.selectors.serving import first_cold_free_item, lease_take_if_room, top_free_item, uniform_free_item
from tests.factories import UserFactory


def _orm_top_free(version, annotator, exclude):
    """The ORM reading of 'the best free ranked item' (labeling.selectors.items._free at one label per item)."""
    item = OuterRef("item_id")
    skipped = Skip.objects.filter(Q(reason=Skip.Reason.BAD) | Q(annotator=annotator), item=item)
    top = (
        ItemScore.objects.filter(model_version=version)
        .filter(~Exists(Label.objects.filter(item=item)))
        .filter(~Exists(Assignment.objects.filter(item=item, status=Assignment.Status.OPEN)))
        .filter(~Exists(skipped), ~Exists(Item.objects.filter(pk=item, gold=True)))
        .exclude(item_id__in=exclude)
        .order_by("rank")
        .first()
    )
    return top.item_id if top else None


def _orm_places(item_id, annotator):
    labels = Label.objects.filter(item_id=item_id)
    holds = Assignment.objects.filter(item_id=item_id, status=Assignment.Status.OPEN)
    mine = labels.filter(annotator=annotator).exists() or holds.filter(annotator=annotator).exists()
    return labels.count() + holds.count(), mine


@pytest.fixture
def mixed_state(make_digits_project, annotator):
    """A ranked pool where items are labeled, held (open and expired), skipped (bad, unsure) or gold."""
    project = make_digits_project(per_class=8, eval_fraction=0.0, labels_per_item=2)
    others = [UserFactory(username=f"other{i}") for i in range(3)]
    people = [annotator, *others]
    items = list(Item.objects.filter(project=project).order_by("id"))
    rng = random.Random(7)
    version = ModelVersion.objects.create(project=project, number=1, strategy="margin", status="done")
    ranks = rng.sample(range(len(items)), len(items))
    ItemScore.objects.bulk_create(ItemScore(model_version=version, item=item, score=0.5, rank=rank)
                                  for item, rank in zip(items, ranks, strict=True))  # fmt: skip
    classes = list(project.label_classes.all())
    states = ["unsure"] + [rng.choice(["free", "free", "labeled", "held", "expired", "bad", "unsure", "gold", "two"])
                           for _ in items[1:]]  # fmt: skip
    for item, state in zip(items, states, strict=True):
        who = annotator if item == items[0] else rng.choice(people)
        if state in ("labeled", "two"):
            Label.objects.create(item=item, annotator=who, label_class=rng.choice(classes))
        if state == "two":
            Label.objects.create(item=item, annotator=others[0] if who != others[0] else annotator,
                                 label_class=classes[0])  # fmt: skip
        if state in ("held", "expired"):
            Assignment.objects.create(item=item, annotator=who, status="open" if state == "held" else "expired",
                                      expires_at="2030-01-01T00:00:00Z")  # fmt: skip
        if state in ("bad", "unsure"):
            Skip.objects.create(item=item, annotator=who, reason=state)
        if state == "gold":
            Item.objects.filter(pk=item.pk).update(gold=True, gold_class=classes[0])
    return version, people, items


@pytest.mark.django_db
def test_the_top_free_item_is_the_one_the_orm_query_finds(mixed_state):
    version, people, _items = mixed_state
    walks = []
    for person in people:  # walk each one's whole free ranking, passing over what was found so far
        exclude: list[int] = []
        while True:
            found = top_free_item(version_id=version.pk, annotator=person, exclude=exclude)
            assert (found.pk if found else None) == _orm_top_free(version, person, exclude)
            if found is None:
                break
            exclude.append(found.pk)
        walks.append(exclude)
    assert len(walks[0]) > 3 and len({tuple(w) for w in walks}) > 1  # own skips make the walks differ


@pytest.mark.django_db
def test_the_first_cold_free_item_is_the_one_the_orm_query_finds(mixed_state):
    version, people, _items = mixed_state
    project = version.project
    Item.objects.filter(pk__in=[i.pk for i in _items[::3]]).update(cold_rank=0)  # ties, broken by id
    walks = []
    for person in people:
        exclude: list[int] = []
        while True:
            found = first_cold_free_item(project_id=project.pk, annotator=person, exclude=exclude)
            pool = Item.objects.filter(project=project, split="pool").exclude(pk__in=exclude)
            expected = _free(pool, "pk", person, 1).order_by("cold_rank", "id").first()
            assert found == expected
            if found is None:
                break
            exclude.append(found.pk)
        walks.append(exclude)
    assert len(walks[0]) > 3 and len({tuple(w) for w in walks}) > 1


@pytest.mark.django_db
def test_a_uniform_draw_finds_the_first_free_item_from_its_point_on_as_the_orm_does(mixed_state):
    version, people, _items = mixed_state
    project = version.project
    keys = sorted(Item.objects.filter(project=project, split="pool").values_list("draw_key", flat=True))
    assert len(set(keys)) == len(keys) and keys[0] >= 0 and keys[-1] < 1  # every item its own key
    found_ids = set()
    for person in people:
        free = _free(Item.objects.filter(project=project, split="pool"), "pk", person, 1).order_by("draw_key", "id")
        for point in (0.0, 0.2, 0.5, 0.77, keys[-1], 0.999999):
            expected = free.filter(draw_key__gte=point).first() or free.first()  # wraps around
            found = uniform_free_item(project_id=project.pk, annotator=person, point=point)
            assert found == expected
            found_ids.add(found.pk)
    assert len(found_ids) > 3  # the draws land on different items
    Item.objects.filter(project=project).update(split="eval", gold_class=project.label_classes.first(), gold=False)
    assert uniform_free_item(project_id=project.pk, annotator=people[0], point=0.5) is None


@pytest.mark.django_db
def test_a_lease_is_taken_exactly_when_the_orm_counts_room_for_the_annotator(mixed_state):
    version, people, items = mixed_state
    expires = datetime(2031, 5, 1, tzinfo=UTC)
    seen = set()
    for item in items:
        for person in people:
            for places in (1, 2, 3):
                for gold in (False, True):
                    taken, mine = _orm_places(item.pk, person)
                    with transaction.atomic():  # each try is undone, so all see the same state
                        lease = lease_take_if_room(item_id=item.pk, annotator=person, version_id=version.pk,
                                                   expires=expires, gold=gold, labels_per_item=places)  # fmt: skip
                        assert (lease is not None) == (not mine and (gold or taken < places))
                        if lease is not None:
                            stored = Assignment.objects.get(pk=lease.pk)
                            assert (stored.item_id, stored.annotator_id, stored.status, stored.model_version_id) == (
                                item.pk, person.pk, "open", version.pk)  # fmt: skip
                            assert stored.expires_at == lease.expires_at == expires
                            assert stored.created_at == lease.created_at
                        transaction.set_rollback(True)
                    seen.add((taken, mine, lease is not None))
    assert {(0, False, True), (1, True, False), (1, False, True), (1, False, False), (2, True, False)} <= seen


@pytest.mark.django_db
def test_the_schedule_counts_what_each_annotator_was_served(mixed_state):
    from labeling.selectors.serving import serving_schedule

    version, people, items = mixed_state
    project = version.project
    Item.objects.filter(pk__in=[items[1].pk, items[2].pk]).update(audit=True)
    Assignment.objects.create(item=items[1], annotator=people[0], status="done", expires_at="2030-01-01T00:00:00Z")
    for person in people:
        schedule = serving_schedule(project_id=project.pk, annotator=person)
        mine = Assignment.objects.filter(annotator=person, item__project=project)
        expected = (
            mine.values("item").distinct().count(),
            mine.filter(item__gold=True).values("item").distinct().count(),
            mine.filter(item__audit=True).values("item").distinct().count(),
        )
        assert (schedule.served.items, schedule.served.gold, schedule.served.audit) == expected
        assert schedule.has_gold == Item.objects.filter(project=project, gold=True).exists()
        assert not schedule.has_eval  # the fixture's project has no evaluation items
    assert serving_schedule(project_id=project.pk, annotator=people[0]).served.audit >= 1


@pytest.mark.django_db
def test_expiring_leases_sends_back_what_the_orm_finds_run_out_in_this_project_only(mixed_state, make_digits_project):
    from django.utils import timezone

    from labeling.selectors.serving import leases_expire

    version, people, items = mixed_state
    project = version.project
    other = Item.objects.filter(project=make_digits_project(name="other", per_class=2, eval_fraction=0.0)).first()
    past, future = "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"
    run_out = [Assignment.objects.create(item=item, annotator=people[3], expires_at=past) for item in items[-3:]]
    Assignment.objects.create(item=items[-4], annotator=people[3], expires_at=future)
    elsewhere = Assignment.objects.create(item=other, annotator=people[3], expires_at=past)
    open_before = set(Assignment.objects.filter(status="open").values_list("pk", flat=True))
    expected = set(
        Assignment.objects.filter(item__project=project, status="open", expires_at__lt=timezone.now()).values_list(
            "pk", flat=True
        )
    )
    assert {a.pk for a in run_out} <= expected
    assert leases_expire(project_id=project.pk, now=timezone.now()) == len(expected)
    still_open = set(Assignment.objects.filter(status="open").values_list("pk", flat=True))
    assert still_open == open_before - expected and elsewhere.pk in still_open


@pytest.mark.django_db
def test_renewing_the_held_leases_returns_the_orm_queue_oldest_first_with_items(mixed_state):

    from labeling.selectors.serving import held_leases_renew

    version, people, items = mixed_state
    project = version.project
    for item in items[-3:]:  # more holds for the first person, so the order is tested on several
        Assignment.objects.create(item=item, annotator=people[0], expires_at="2030-01-01T00:00:00Z")
    renewed_until = datetime(2031, 5, 1, tzinfo=UTC)
    for person in people:
        orm = Assignment.objects.filter(item__project=project, annotator=person, status="open")
        expected = list(orm.order_by("created_at", "id").values_list("pk", "item_id"))
        queue = held_leases_renew(project_id=project.pk, annotator=person, expires=renewed_until)
        assert [(a.pk, a.item.pk) for a in queue] == expected
        assert set(orm.values_list("expires_at", flat=True)) <= {renewed_until}
    assert len(held_leases_renew(project_id=project.pk, annotator=people[0], expires=renewed_until)) >= 3


@pytest.mark.django_db
def test_the_plain_lookups_find_what_the_orm_finds(mixed_state, make_digits_project):
    import uuid

    from labeling.selectors.serving import (
        answer_target,
        item_lock,
        label_class_named,
        pool_item,
        version_newest,
        version_serving,
    )

    version, people, items = mixed_state
    project = version.project
    other = make_digits_project(name="other", per_class=2, eval_fraction=0.5)
    ModelVersion.objects.create(project=project, number=2, strategy="margin", status="done")
    ModelVersion.objects.create(project=project, number=3, strategy="margin", status="running")
    assert version_serving(project_id=project.pk).number == 2
    assert version_newest(project_id=project.pk).number == 3
    assert version_serving(project_id=other.pk) is None and version_newest(project_id=other.pk) is None

    evaluation = Item.objects.filter(project=other, split="eval").first()
    for item_id in [items[0].pk, evaluation.pk, Item.objects.filter(project=other).first().pk, 10**9]:
        orm = Item.objects.filter(pk=item_id, project=project, split="pool").first()
        assert pool_item(project_id=project.pk, item_id=item_id) == orm
    assert item_lock(item_id=items[0].pk, wait=True) is items[0].gold
    Item.objects.filter(pk=items[1].pk).update(gold=True)
    assert item_lock(item_id=items[1].pk, wait=False) is True
    assert item_lock(item_id=10**9, wait=True) is None

    name = project.label_classes.first().name
    assert label_class_named(project_id=project.pk, name=name) == project.label_classes.get(name=name)
    assert label_class_named(project_id=project.pk, name=name.upper() + "x") is None
    assert label_class_named(project_id=other.pk, name="nope") is None

    skip_key, change_key = uuid.uuid4(), uuid.uuid4()
    Skip.objects.filter(pk=Skip.objects.first().pk).update(idempotency_key=skip_key)
    Label.objects.create(item=items[-1], annotator=people[2], label_class=project.label_classes.first())
    from labeling.models import LabelChange

    LabelChange.objects.create(item=items[-1], annotator=people[2], changed_by=people[2],
                               label_class=project.label_classes.first(), idempotency_key=change_key)  # fmt: skip
    for item_id in [items[0].pk, evaluation.pk, 10**9]:
        for class_name in [name, "nope", None]:
            for key in [skip_key, change_key, uuid.uuid4(), None]:
                target = answer_target(project_id=project.pk, item_id=item_id, class_name=class_name, key=key)
                item = Item.objects.filter(pk=item_id, project=project, split="pool").first()
                assert (target.item if target else None) == item
                if target is not None:
                    label_class = project.label_classes.filter(name=class_name).first()
                    assert target.label_class == label_class
                    if label_class is not None:  # every field, as the ORM loads it
                        assert model_to_dict(target.label_class) == model_to_dict(label_class)
                    used = LabelChange.objects.filter(idempotency_key=key).exists() or Skip.objects.filter(
                        idempotency_key=key
                    ).exists()
                    assert target.key_used is (key is not None and used)
    assert answer_target(project_id=project.pk, item_id=items[0].pk, class_name=None, key=skip_key).key_used
