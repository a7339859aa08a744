"""Agreement between annotators, corrected for chance: Cohen's kappa per pair, Fleiss' kappa and
Krippendorff's alpha (nominal) for a whole team.

Ratings come as {annotator: {item: class}}; an annotator who did not label an item simply has no
entry for it. Cohen's kappa compares two annotators on the items both labeled (Cohen 1960).
Fleiss' kappa needs the same number of ratings on every item (Fleiss 1971), so it uses the items
with the most common count; Krippendorff's alpha uses every item with two ratings or more and is
the one to read when ratings are missing (Krippendorff 2011, "Computing Krippendorff's alpha-
reliability"). All three are 1 for perfect agreement, 0 for agreement at chance level, below 0
for systematic disagreement; nan when there is nothing to compare.
"""

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from learner.exceptions import LearnerError
from learner.stopping.stability import cohen_kappa
from learner.types import IntArray

Ratings = Mapping[Hashable, Mapping[Hashable, Hashable]]  # annotator -> item -> class


@dataclass(frozen=True)
class PairAgreement:
    first: Hashable
    second: Hashable
    n_items: int  # items both labeled
    agreed: int  # ... with the same class
    kappa: float  # Cohen's kappa on those items; nan when they share none


def pairwise_kappa(ratings: Ratings) -> list[PairAgreement]:
    """Cohen's kappa for every pair of annotators, on the items both labeled, in the order the
    annotators come. When both gave one and the same class everywhere, kappa is 1.0 (they agree
    on every item; sklearn gives nan there)."""
    pairs = []
    for first, second in combinations(list(ratings), 2):
        shared = sorted(set(ratings[first]) & set(ratings[second]), key=repr)
        a = np.array([ratings[first][i] for i in shared], dtype=object)  # (m,)
        b = np.array([ratings[second][i] for i in shared], dtype=object)  # (m,)
        kappa = cohen_kappa(a.astype(str), b.astype(str)) if shared else float("nan")
        pairs.append(PairAgreement(first, second, len(shared), int(np.sum(a == b)), kappa))
    return pairs


def category_counts(ratings: Ratings) -> tuple[IntArray, list[Hashable]]:
    """The items x classes table of how many annotators gave each class: (n_items, n_classes),
    with the classes (columns) in sorted order. Items nobody labeled do not appear."""
    per_item: dict[Hashable, Counter[Hashable]] = {}
    for answers in ratings.values():
        for item, label in answers.items():
            per_item.setdefault(item, Counter())[label] += 1
    classes = sorted({label for counts in per_item.values() for label in counts}, key=repr)
    column = {label: j for j, label in enumerate(classes)}
    table = np.zeros((len(per_item), len(classes)), dtype=np.int64)
    for row, counts in enumerate(per_item.values()):
        for label, n in counts.items():
            table[row, column[label]] = n
    return table, classes


def fleiss_kappa(counts: IntArray) -> float:
    """Fleiss' kappa of an items x classes count table (n_items, n_classes) whose rows all sum to
    the same number of ratings n >= 2. nan without items, or when every rating is one class."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.shape[0] == 0:
        return float("nan")
    per_item = counts.sum(axis=1)  # (n_items,)
    n = per_item[0]
    if n < 2 or np.any(per_item != n):
        counts_seen = sorted({int(k) for k in per_item})
        raise LearnerError(f"Fleiss' kappa needs the same number (>= 2) of ratings per item; got {counts_seen}.")
    shares = counts.sum(axis=0) / counts.sum()  # (n_classes,) p_j
    observed = float(np.mean((np.sum(counts * counts, axis=1) - n) / (n * (n - 1))))  # mean P_i
    expected = float(np.sum(shares**2))  # P_e
    return (observed - expected) / (1 - expected) if expected < 1 else float("nan")


def fleiss_kappa_of(ratings: Ratings) -> tuple[float, int]:
    """Fleiss' kappa over the items with the most common number of ratings (>= 2), and how many
    items that is; (nan, 0) when no item has two ratings."""
    table, _ = category_counts(ratings)
    per_item = table.sum(axis=1)  # (n_items,)
    counted = Counter(int(n) for n in per_item if n >= 2)
    if not counted:
        return float("nan"), 0
    n = max(counted, key=lambda k: (counted[k], k))
    rows = table[per_item == n]
    return fleiss_kappa(rows), len(rows)


def krippendorff_alpha(counts: IntArray) -> float:
    """Krippendorff's alpha, nominal, from an items x classes count table (n_items, n_classes);
    rows may sum to different numbers, and rows with fewer than two ratings are left out
    (they cannot be paired). nan when fewer than two pairable values or only one class occurs."""
    counts = np.asarray(counts, dtype=np.float64)
    m = counts.sum(axis=1) if counts.size else np.zeros(0)  # (n_items,) ratings per item
    pairable = counts[m >= 2]  # (u, n_classes)
    m = m[m >= 2]
    if pairable.shape[0] == 0:
        return float("nan")
    # Coincidence matrix o_ck = sum_u n_uc (n_uk - [c == k]) / (m_u - 1): (n_classes, n_classes)
    weights = pairable / (m - 1)[:, None]  # (u, n_classes)
    coincidence = weights.T @ pairable - np.diag(weights.sum(axis=0))
    n_c = coincidence.sum(axis=1)  # (n_classes,) pairable values per class
    total = n_c.sum()
    disagree_observed = coincidence.sum() - np.trace(coincidence)
    disagree_expected = (total**2 - np.sum(n_c**2)) / (total - 1)
    if disagree_expected <= 0:
        return float("nan")
    return float(1 - disagree_observed / disagree_expected)


@dataclass(frozen=True)
class TeamAgreement:
    fleiss_kappa: float
    fleiss_items: int  # items Fleiss' kappa used (the most common number of ratings)
    krippendorff_alpha: float
    alpha_items: int  # items with two ratings or more
    pairs: list[PairAgreement]


def team_agreement(ratings: Ratings) -> TeamAgreement:
    """Every measure at once for a project's ratings {annotator: {item: class}}."""
    table, _ = category_counts(ratings)
    fleiss, fleiss_items = fleiss_kappa_of(ratings)
    alpha_items = int(np.sum(table.sum(axis=1) >= 2)) if table.size else 0
    return TeamAgreement(fleiss, fleiss_items, krippendorff_alpha(table), alpha_items, pairwise_kappa(ratings))
