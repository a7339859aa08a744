"""The label each item resolves to under each policy: what training, metrics and exports use."""

import pytest

from labeling.models import Item, Label, Project, ReviewDecision
from labeling.selectors.resolution import Status, item_resolutions, resolve, resolved_labels
from labeling.selectors.training import training_data_build
from tests.factories import UserFactory

MAJORITY, UNANIMOUS, ADJUDICATED = Project.Resolution.values


@pytest.mark.parametrize(
    ("votes", "policy", "k", "expected"),
    [
        ({"cat": 1}, MAJORITY, 1, ("cat", Status.RESOLVED)),
        ({"cat": 2, "dog": 1}, MAJORITY, 3, ("cat", Status.RESOLVED)),
        ({"cat": 1, "dog": 1}, MAJORITY, 3, (None, Status.WAITING)),  # the third label breaks the tie
        ({"cat": 1, "dog": 1}, MAJORITY, 2, (None, Status.IN_REVIEW)),
        ({"cat": 1}, UNANIMOUS, 3, ("cat", Status.RESOLVED)),  # provisional until the others label
        ({"cat": 2, "dog": 1}, UNANIMOUS, 3, (None, Status.IN_REVIEW)),
        ({"cat": 1, "dog": 1}, UNANIMOUS, 3, (None, Status.IN_REVIEW)),  # can never agree: no need to wait
        ({"cat": 2}, ADJUDICATED, 3, (None, Status.WAITING)),
        ({"cat": 3}, ADJUDICATED, 3, (None, Status.IN_REVIEW)),  # a reviewer signs off even agreement
    ],
)
def test_policies_resolve_votes(votes, policy, k, expected):
    assert resolve(votes, policy=policy, labels_per_item=k) == expected


@pytest.fixture
def team_project(make_digits_project):
    project = make_digits_project(per_class=4, eval_fraction=0.0)
    Project.objects.filter(pk=project.pk).update(labels_per_item=2)
    project.refresh_from_db()
    return project


def _label(item, user, name):
    Label.objects.create(item=item, annotator=user, label_class=item.project.label_classes.get(name=name))


@pytest.mark.django_db
def test_a_relabel_by_the_first_annotator_is_not_outvoted_by_row_order(team_project):
    """Two annotators disagree; the first changes their answer to agree. The item resolves to the
    agreed class, whatever the rows' ids (the old 'newest row wins' rule picked the other one)."""
    a, b = UserFactory(), UserFactory()
    item = Item.objects.filter(project=team_project).first()
    _label(item, a, "0")
    _label(item, b, "1")
    assert resolved_labels(project=team_project) == {}  # a tie with both labels in: review
    Label.objects.filter(item=item, annotator=a).update(label_class=team_project.label_classes.get(name="1"))
    assert resolved_labels(project=team_project) == {item.pk: "1"}


@pytest.mark.django_db
def test_a_reviewer_decision_overrides_the_annotators(team_project):
    a, b, reviewer = UserFactory(), UserFactory(), UserFactory()
    item = Item.objects.filter(project=team_project).first()
    _label(item, a, "0")
    _label(item, b, "1")
    ReviewDecision.objects.create(item=item, reviewer=reviewer, label_class=team_project.label_classes.get(name="2"))
    [resolution] = list(item_resolutions(project=team_project))
    assert (resolution.label, resolution.status, resolution.votes) == ("2", Status.DECIDED, {"0": 1, "1": 1})


@pytest.mark.django_db
def test_training_leaves_out_items_in_review_and_never_serves_them_as_pool(team_project):
    a, b = UserFactory(), UserFactory()
    agreed, disputed = Item.objects.filter(project=team_project)[:2]
    for user in (a, b):
        _label(agreed, user, "2")
    _label(disputed, a, "0")
    _label(disputed, b, "1")
    data = training_data_build(project=team_project)
    assert list(data.train_item_ids) == [agreed.pk]
    assert list(data.y_train) == ["2"]
    assert disputed.pk not in set(data.pool_item_ids)
