"""The learning-curve picture names the score its curves are in."""

import io

import matplotlib
import pytest

from learner.simulation import Curve, summarise
from learner.simulation.plot import plot_curves


@pytest.mark.parametrize(("metric", "axis"), [("accuracy", "accuracy"), ("macro_f1", "macro f1")])
def test_the_y_axis_is_named_after_the_metric(metric: str, axis: str) -> None:
    curves = [Curve(name, start, 10, seed, True, (10, 20), (0.5, 0.6), metric)
              for name, start in (("random", "random"), ("badge", "typicality")) for seed in (0, 1)]  # fmt: skip
    out = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text stays text in the svg
        plot_curves(summarise(curves, 0.7), full_accuracy=0.7, title="t", out=out, fmt="svg", metric=metric)
    assert f"{axis} on the held-out split" in out.getvalue().decode()
