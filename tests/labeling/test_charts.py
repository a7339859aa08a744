import re

from labeling.charts import ChartPoint, accuracy_chart_svg


def test_each_version_is_a_point_with_its_numbers_and_the_budget_is_a_line():
    svg = accuracy_chart_svg(
        [ChartPoint(1, 20, 0.71, 0.62, 0.79), ChartPoint(2, 40, 0.8, 0.72, 0.86)],
        budget=100, random_curve=[(20, 0.5), (40, 0.6)],
    )  # fmt: skip
    points = re.findall(r'data-version="(\d+)" data-labels="(\d+)" data-value="([\d.]+)"', svg)
    assert points == [("1", "20", "0.7100"), ("2", "40", "0.8000")]
    assert 'class="budget"' in svg and "budget 100" in svg and 'class="random"' in svg


def test_an_empty_project_still_draws_axes_and_the_budget():
    svg = accuracy_chart_svg([], budget=500)
    assert svg.startswith("<svg") and "budget 500" in svg and 'class="point"' not in svg
