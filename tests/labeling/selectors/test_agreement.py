"""The dashboard's agreement numbers read the labels (gold answers aside) through learner.agreement."""

import pytest
from sklearn.metrics import cohen_kappa_score

from labeling.models import Item, Label
from labeling.selectors.agreement import project_agreement
from labeling.selectors.dashboard import annotator_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pairs_team_numbers_and_the_annotator_table(make_digits_project, annotator):
    project = make_digits_project(per_class=4, eval_fraction=0.0)
    bob, cy = UserFactory(username="bob"), UserFactory(username="cy")
    items = list(Item.objects.filter(project=project).order_by("id")[:6])
    c = {lc.name: lc for lc in project.label_classes.all()}
    answers = {  # item -> (ann, bob, cy); None: not labeled
        0: ("0", "0", "0"), 1: ("0", "1", None), 2: ("1", "1", "1"), 3: ("2", "2", "0"), 4: ("1", "0", None),
    }  # fmt: skip
    for row, given in answers.items():
        for user, name in zip((annotator, bob, cy), given, strict=True):
            if name is not None:
                Label.objects.create(item=items[row], annotator=user, label_class=c[name])
    gold = items[5]
    Item.objects.filter(pk=gold.pk).update(gold=True)
    gold.refresh_from_db()
    wrong = next(lc for lc in c.values() if lc.pk != gold.gold_class_id)
    Label.objects.create(item=gold, annotator=annotator, label_class=gold.gold_class)
    Label.objects.create(item=gold, annotator=bob, label_class=wrong)  # gold answers never count as agreement

    agreement = project_agreement(project=project)
    rows = {row.username: row for row in annotator_rows(project=project, agreement=agreement)}

    pairs = {(p.first, p.second): p for p in agreement.pairs}
    assert (pairs["ann", "bob"].n_items, pairs["ann", "bob"].agreed) == (5, 3)
    assert pairs["ann", "bob"].kappa == pytest.approx(
        cohen_kappa_score(["0", "0", "1", "2", "1"], ["0", "1", "1", "2", "0"])
    )
    assert (agreement.alpha_items, agreement.fleiss_items) == (5, 3)  # three items carry three labels
    assert (rows["ann"].shared, rows["ann"].shared_agreeing) == (8, 5)  # 3 of 5 with bob, 2 of 3 with cy
    assert (rows["ann"].labels, rows["ann"].gold, rows["ann"].gold_accuracy) == (5, 1, 1.0)
    assert (rows["bob"].gold, rows["bob"].gold_accuracy) == (1, 0.0)
