"""Agreement measures against established implementations: sklearn's cohen_kappa_score,
statsmodels' fleiss_kappa and the krippendorff package, on hand-made and random ratings."""

import math
import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from learner.agreement import (
    category_counts,
    fleiss_kappa,
    fleiss_kappa_of,
    krippendorff_alpha,
    pairwise_kappa,
    team_agreement,
)
from learner.exceptions import LearnerError

CLASSES = ["cat", "dog", "fox"]


def test_pairs_compare_on_the_items_both_labeled():
    ratings = {
        "ann": {1: "cat", 2: "dog", 3: "dog", 4: "fox"},
        "bob": {1: "cat", 2: "dog", 3: "cat"},  # no item 4
        "cy": {5: "cat"},  # shares nothing
    }
    pairs = {(p.first, p.second): p for p in pairwise_kappa(ratings)}

    ann_bob = pairs["ann", "bob"]
    assert (ann_bob.n_items, ann_bob.agreed) == (3, 2)
    assert ann_bob.kappa == pytest.approx(cohen_kappa_score(["cat", "dog", "dog"], ["cat", "dog", "cat"]))
    assert pairs["ann", "cy"].n_items == 0 and math.isnan(pairs["ann", "cy"].kappa)


def test_two_annotators_who_always_give_the_same_single_class_agree_fully():
    assert pairwise_kappa({"a": {1: "cat", 2: "cat"}, "b": {1: "cat", 2: "cat"}})[0].kappa == 1.0


def test_fleiss_on_the_textbook_table():
    """Fleiss (1971)'s worked example as reproduced on Wikipedia: 10 items, 14 raters, kappa 0.210."""
    table = np.array([
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ])  # fmt: skip
    assert fleiss_kappa(table) == pytest.approx(0.20993, abs=1e-5)
    assert fleiss_kappa(table) == pytest.approx(sm_fleiss_kappa(table))


def test_fleiss_refuses_uneven_rows():
    with pytest.raises(LearnerError, match="same number"):
        fleiss_kappa(np.array([[2, 0], [1, 2]]))


def test_krippendorff_with_missing_ratings_on_hand_made_data():
    """Krippendorff's own nominal example (2011, section C): 4 coders, 12 units, gaps; alpha 0.743."""
    nan = np.nan
    data = np.array([
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ])  # fmt: skip
    ratings = {c: {u: int(v) for u, v in enumerate(row) if not np.isnan(v)} for c, row in enumerate(data)}
    table, _ = category_counts(ratings)

    assert krippendorff_alpha(table) == pytest.approx(0.743, abs=1e-3)
    assert krippendorff_alpha(table) == pytest.approx(krippendorff.alpha(data, level_of_measurement="nominal"))


def test_nothing_to_compare_is_nan():
    assert math.isnan(krippendorff_alpha(np.array([[1, 0], [0, 1]])))  # one rating per item
    assert math.isnan(krippendorff_alpha(np.array([[2, 0], [3, 0]])))  # one class only
    assert fleiss_kappa_of({"a": {1: "cat"}})[1] == 0


ratings_strategy = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d", "e"]),
    st.dictionaries(st.integers(0, 14), st.sampled_from(CLASSES), min_size=1),
    min_size=2,
)


def _reliability(ratings) -> np.ndarray:
    items = sorted({i for answers in ratings.values() for i in answers})
    codes = {c: float(j) for j, c in enumerate(CLASSES)}
    return np.array([[codes[answers[i]] if i in answers else np.nan for i in items] for answers in ratings.values()])


@settings(max_examples=150, deadline=None)
@given(ratings_strategy)
def test_every_pair_matches_sklearn(ratings):
    for pair in pairwise_kappa(ratings):
        shared = sorted(set(ratings[pair.first]) & set(ratings[pair.second]))
        a, b = [ratings[pair.first][i] for i in shared], [ratings[pair.second][i] for i in shared]
        if not shared or len(set(a) | set(b)) == 1:
            continue  # sklearn: nan (or 0/0) where we answer nan (nothing shared) or 1.0 (one class)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = cohen_kappa_score(a, b)
        assert pair.kappa == pytest.approx(expected, abs=1e-9) or (math.isnan(expected) and math.isnan(pair.kappa))


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 6), st.lists(st.lists(st.sampled_from(CLASSES), min_size=6, max_size=6), min_size=1, max_size=20))
def test_fleiss_matches_statsmodels(n_raters, rows):
    ratings = {r: {i: row[r] for i, row in enumerate(rows)} for r in range(n_raters)}
    table, _ = category_counts(ratings)
    ours, n_items = fleiss_kappa_of(ratings)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = sm_fleiss_kappa(table)
    assert n_items == len(rows)
    assert ours == pytest.approx(expected, abs=1e-9) or (math.isnan(ours) and not np.isfinite(expected))


@settings(max_examples=150, deadline=None)
@given(ratings_strategy)
def test_krippendorff_matches_the_package_with_missing_ratings(ratings):
    table, _ = category_counts(ratings)
    ours = krippendorff_alpha(table)
    if math.isnan(ours):
        return  # nothing pairable or one class only: the package raises or divides by zero there
    assert ours == pytest.approx(krippendorff.alpha(_reliability(ratings), level_of_measurement="nominal"), abs=1e-9)


def test_team_agreement_reports_items_used():
    ratings = {"a": {1: "cat", 2: "dog", 3: "fox"}, "b": {1: "cat", 2: "dog"}, "c": {1: "cat", 3: "fox"}}
    team = team_agreement(ratings)
    assert (team.fleiss_items, team.alpha_items, len(team.pairs)) == (2, 3, 3)
    assert team.krippendorff_alpha == pytest.approx(1.0)
