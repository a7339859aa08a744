"""How much a project's annotators agree: the team's Fleiss' kappa and Krippendorff's alpha, a table
of pairs with Cohen's kappa, and each annotator's share of answers that matched a colleague's.

The numbers come from learner.agreement; this module only reads the labels. Answers on gold items
are left out (they measure annotators against a known answer, not against each other).
"""

import math
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from labeling.models import Label, Project
from learner.agreement import team_agreement


@dataclass(frozen=True)
class PairRow:
    first: str
    second: str
    n_items: int  # items both labeled
    agreed: int
    kappa: float | None  # Cohen's kappa; None when they share no item


@dataclass(frozen=True)
class AnnotatorAgreement:
    compared: int  # answers compared with a colleague's answer on the same item (one per colleague)
    agreed: int
    kappa: float | None  # mean Cohen's kappa over their pairs, weighted by items shared


@dataclass(frozen=True)
class ProjectAgreement:
    fleiss_kappa: float | None
    fleiss_items: int
    krippendorff_alpha: float | None
    alpha_items: int
    pairs: list[PairRow]  # pairs that share at least one item, most shared first
    per_annotator: dict[int, AnnotatorAgreement]  # annotator id -> their agreement


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def project_ratings(*, project: Project) -> dict[int, dict[int, str]]:
    """{annotator id: {item id: class name}} for every current label but those on gold items."""
    ratings: dict[int, dict[int, str]] = defaultdict(dict)
    labels = Label.objects.filter(item__project=project, item__gold=False)
    for annotator_id, item_id, name in labels.values_list("annotator_id", "item_id", "label_class__name"):
        ratings[annotator_id][item_id] = name
    return dict(ratings)


def project_agreement(*, project: Project) -> ProjectAgreement:
    ratings = project_ratings(project=project)
    team = team_agreement(ratings)
    names = dict(get_user_model().objects.filter(pk__in=ratings).values_list("pk", "username"))
    compared: dict[int, list[tuple[int, int, float]]] = defaultdict(list)  # id -> [(items, agreed, kappa)]
    pairs = []
    for pair in team.pairs:
        if pair.n_items == 0:
            continue
        first, second = sorted([pair.first, pair.second], key=lambda pk: names[pk])
        pairs.append(PairRow(names[first], names[second], pair.n_items, pair.agreed, _number(pair.kappa)))
        for annotator_id in (first, second):
            compared[annotator_id].append((pair.n_items, pair.agreed, pair.kappa))
    per_annotator = {}
    for annotator_id, rows in compared.items():
        n = sum(items for items, _, _ in rows)
        kappa = sum(items * k for items, _, k in rows) / n
        per_annotator[annotator_id] = AnnotatorAgreement(n, sum(agreed for _, agreed, _ in rows), _number(kappa))
    return ProjectAgreement(
        _number(team.fleiss_kappa), team.fleiss_items, _number(team.krippendorff_alpha), team.alpha_items,
        sorted(pairs, key=lambda p: (-p.n_items, p.first, p.second)), per_annotator,
    )  # fmt: skip
