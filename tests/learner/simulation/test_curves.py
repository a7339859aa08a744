import pytest

from learner.exceptions import LearnerError
from learner.simulation import Curve, aulc, curve_name, labels_to_reach, summarise


def curve(strategy, seed, accuracy, start="typicality", diverse=True, batch=10):
    labels = tuple(batch * (i + 1) for i in range(len(accuracy)))
    return Curve(strategy, start, batch, seed, diverse, labels, tuple(accuracy))


def test_labels_to_reach_is_the_first_count_at_or_above_the_target():
    assert labels_to_reach([10, 20, 30], [0.5, 0.9, 0.95], 0.9) == 20
    assert labels_to_reach([10, 20, 30], [0.5, 0.9, 0.95], 0.99) is None


def test_aulc_is_the_mean_height_of_the_trapezoids():
    assert aulc([10, 20, 30], [0.5, 0.7, 0.7]) == pytest.approx((0.6 + 0.7) / 2)
    assert aulc([10], [0.4]) == 0.4
    with pytest.raises(LearnerError, match="as many accuracies"):
        aulc([10, 20], [0.5])


def test_names_say_what_differs_from_the_product_defaults():
    assert curve_name(curve("random", 0, [0.5], start="random", diverse=False)) == "random"
    assert curve_name(curve("random", 0, [0.5], diverse=False)) == "random + typical start"
    assert curve_name(curve("entropy", 0, [0.5])) == "entropy"
    assert curve_name(curve("entropy", 0, [0.5], diverse=False)) == "entropy, no diversity"


def test_summary_compares_each_strategy_with_random_at_its_batch_size():
    curves = [
        curve("random", 0, [0.2, 0.5, 0.8, 0.9, 1.0], start="random"),
        curve("random", 1, [0.2, 0.5, 0.8, 0.9, 1.0], start="random"),
        curve("margin", 0, [0.5, 0.9, 1.0, 1.0, 1.0]),
        curve("margin", 1, [0.5, 0.9, 1.0, 1.0, 1.0]),
        curve("coreset", 0, [0.1, 0.3, 0.8, 0.9, 1.0]),
        curve("coreset", 1, [0.1, 0.5, 0.8, 0.9, 1.0]),
    ]
    by_name = {s.name: s for s in summarise(curves, full_accuracy=1.0)}
    margin, random, coreset = by_name["margin"], by_name["random"], by_name["coreset"]
    assert (margin.labels_99, random.labels_99) == (30, 50)
    assert margin.ratio_99 == pytest.approx(30 / 50)
    assert margin.labels_95 == 30 and random.labels_95 == 50  # 0.9 < 0.95
    assert margin.seeds == 2 and margin.aulc_std == 0.0
    assert margin.worse_than_random_at == ()
    # Coreset trails random at 10 labels by 0.1 with no spread there; at 20 its spread (0.1) covers the gap.
    assert coreset.worse_than_random_at == (10,)
    assert coreset.mean[1] == pytest.approx(0.4) and coreset.std[1] == pytest.approx(0.1)


def test_aulc_stops_where_the_shortest_run_stops():
    curves = [
        curve("random", 0, [0.2, 0.4, 0.9, 1.0], start="random"),  # ran on for longer
        curve("margin", 0, [0.2, 0.4]),
    ]
    by_name = {s.name: s for s in summarise(curves, full_accuracy=1.0)}
    assert by_name["random"].aulc_mean == pytest.approx(0.3)  # up to 20 labels, like margin
    assert by_name["random"].labels_99 == 40  # but its labels-to-target uses the whole run


def _summary(name, mean_aulc, std_aulc, *, labels=(50, 100, 150, 200), l99=None):
    from learner.simulation.curves import CurveSummary

    return CurveSummary(name=name, batch_size=50, seeds=3, labels=labels, mean=(0.5,) * len(labels),
                        std=(0.01,) * len(labels), labels_95=l99, labels_99=l99, ratio_95=None, ratio_99=None,
                        aulc_mean=mean_aulc, aulc_std=std_aulc, worse_than_random_at=())  # fmt: skip


def test_a_clear_winner_is_recommended_against_random():
    from learner.simulation.curves import recommend

    advice = recommend([_summary("margin", 0.80, 0.01, l99=150), _summary("random", 0.70, 0.01)], 0.9)
    assert advice.strategy == "margin" and "random had not reached it after 200" in advice.reason


def test_no_recommendation_while_the_spread_overlaps_randoms():
    from learner.simulation.curves import recommend

    advice = recommend([_summary("margin", 0.72, 0.02, l99=200), _summary("random", 0.70, 0.01)], 0.9)
    assert advice.strategy is None and advice.reason.startswith("Too close to tell: margin's AULC 0.720 ± 0.020")


def test_no_recommendation_before_enough_labels():
    from learner.simulation.curves import recommend

    short = (10, 20, 30, 40)
    advice = recommend([_summary("margin", 0.9, 0.0, labels=short, l99=20),
                        _summary("random", 0.5, 0.0, labels=short)], 0.9)  # fmt: skip
    assert advice.strategy is None and advice.reason.startswith("Too few labels to tell: the curves reach 40 labels")
