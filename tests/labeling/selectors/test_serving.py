"""The hand-written serving queries mean what the ORM versions of them mean, on mixed states."""

import random

import pytest
from django.db.models import Exists, OuterRef, Q

from labeling.models import Assignment, Item, ItemScore, Label, ModelVersion, Skip
from labeling.selectors.serving import places_taken, top_free_item
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
def test_places_taken_counts_labels_and_open_holds_as_the_orm_does(mixed_state):
    _version, people, items = mixed_state
    seen = set()
    for item in items:
        for person in people:
            places = places_taken(item_id=item.pk, annotator=person)
            assert (places.taken, places.mine) == _orm_places(item.pk, person)
            seen.add((places.taken, places.mine))
    assert {(0, False), (1, True), (1, False), (2, True)} <= seen  # every kind of item occurred


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
