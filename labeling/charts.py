"""The dashboard's chart of accuracy against labels, drawn on the server as SVG.

One point per finished model version with its 95% interval, the budget as a vertical line,
random sampling's curve from the latest strategy replay when there is one, and the learning
curve fitted to the points, drawn on to the budget with its bootstrap band. Plain SVG with the
numbers on each point (`data-*`), so it needs no script, prints, and a test can read it back.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass(frozen=True)
class ChartPoint:
    version: int
    labels: int
    value: float  # the metric on the yardstick items, 0..1
    low: float  # 95% interval
    high: float


def _ticks(top: float, count: int = 5) -> list[float]:
    step = max(1.0, top / count)
    magnitude = 10 ** (len(str(int(step))) - 1)
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= step)
    return [i * step for i in range(int(top // step) + 1)]


def accuracy_chart_svg(
    points: Sequence[ChartPoint],
    *,
    budget: int,
    metric: str = "Accuracy",
    random_curve: Sequence[tuple[int, float]] = (),
    fitted: Sequence[tuple[int, float, float, float]] = (),
) -> str:
    """SVG (WIDTH x HEIGHT) of `points`, the budget line, random's curve and the fitted curve
    (`fitted`: (labels, value, band low, band high) samples); labels on x, 0..1 on y."""
    x_max = max([budget, *(p.labels for p in points), *(n for n, _ in random_curve), 1]) * 1.05
    y_min = min([0.5, *(p.low for p in points), *(a for _, a in random_curve), *(f[2] for f in fitted)])
    y_min = max(0.0, int(y_min * 10) / 10)

    def x(n: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * n / x_max

    def y(value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - y_min) / (1 - y_min))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'class="chart" aria-labelledby="chart-title"><title id="chart-title">{escape(metric)} against labels '
             f'used, one point per model version, with 95% intervals</title>']  # fmt: skip
    for tick in _ticks(x_max):
        parts.append(f'<line x1="{x(tick):.1f}" y1="{TOP}" x2="{x(tick):.1f}" y2="{HEIGHT - BOTTOM}" class="grid"/>'
                     f'<text x="{x(tick):.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick" text-anchor="middle">'
                     f"{int(tick):,}</text>")  # fmt: skip
    for i in range(round((1 - y_min) * 10) + 1):
        value = y_min + i / 10
        parts.append(f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}" class="grid"/>'
                     f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" class="tick" text-anchor="end">'
                     f"{value:.1f}</text>")  # fmt: skip
    parts.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" class="axis" text-anchor="middle">'
                 f"labels used</text>")  # fmt: skip
    parts.append(f'<line x1="{x(budget):.1f}" y1="{TOP}" x2="{x(budget):.1f}" y2="{HEIGHT - BOTTOM}" class="budget"/>'
                 f'<text x="{x(budget) - 4:.1f}" y="{TOP + 12}" class="budget-label" text-anchor="end">'
                 f"budget {budget:,}</text>")  # fmt: skip
    if fitted:
        upper = " ".join(f"{x(n):.1f},{y(min(high, 1.0)):.1f}" for n, _, _, high in fitted)
        lower = " ".join(f"{x(n):.1f},{y(max(low, y_min)):.1f}" for n, _, low, _ in reversed(fitted))
        parts.append(f'<polygon points="{upper} {lower}" class="band"><title>the fit\'s 95% band</title></polygon>')
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(n):.1f},{y(v):.1f}" for i, (n, v, _, _) in enumerate(fitted))
        parts.append(f'<path d="{path}" class="fit"><title>fitted learning curve, projected</title></path>')
    if random_curve:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(n):.1f},{y(a):.1f}" for i, (n, a) in enumerate(random_curve))
        parts.append(f'<path d="{path}" class="random"><title>random sampling (strategy replay)</title></path>')
    if len(points) > 1:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(p.labels):.1f},{y(p.value):.1f}" for i, p in enumerate(points))
        parts.append(f'<path d="{path}" class="line"/>')
    for p in points:
        parts.append(
            f'<g class="point" data-version="{p.version}" data-labels="{p.labels}" data-value="{p.value:.4f}" '
            f'data-low="{p.low:.4f}" data-high="{p.high:.4f}">'
            f'<line x1="{x(p.labels):.1f}" y1="{y(p.low):.1f}" x2="{x(p.labels):.1f}" y2="{y(p.high):.1f}" '
            f'class="interval"/><circle cx="{x(p.labels):.1f}" cy="{y(p.value):.1f}" r="4"/>'
            f"<title>v{p.version}: {p.value:.3f} ({p.low:.3f}-{p.high:.3f}) at {p.labels:,} labels</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
