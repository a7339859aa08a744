"""Learning curves as a picture: the mean score per strategy with a band of one std over seeds."""

from collections.abc import Sequence
from typing import IO

from learner.simulation.curves import BASELINE, CurveSummary


def plot_curves(
    summaries: Sequence[CurveSummary],
    *,
    full_accuracy: float,
    title: str,
    out: str | IO[bytes],
    fmt: str = "png",
    metric: str = "accuracy",
) -> None:
    """Draw one line per summary (random dashed and black) with its ±1 std band, and the
    full-pool score with its 99% mark, into `out` (a path or a binary file) as png or svg;
    the y axis is named after the curves' `metric` (learner.metrics)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on workers and CI
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    colors = plt.get_cmap("tab20").colors  # type: ignore[attr-defined]
    for index, summary in enumerate(summaries):
        baseline = summary.name == BASELINE
        color = "black" if baseline else colors[(2 * index) % 20 + (index // 10) % 2]  # dark shades first
        low = [m - s for m, s in zip(summary.mean, summary.std, strict=True)]
        high = [m + s for m, s in zip(summary.mean, summary.std, strict=True)]
        ax.fill_between(summary.labels, low, high, color=color, alpha=0.12, linewidth=0)
        ax.plot(summary.labels, summary.mean, color=color, linestyle="--" if baseline else "-",
                linewidth=2.2 if baseline else 1.4, label=summary.name)  # fmt: skip
    ax.axhline(full_accuracy, color="grey", linewidth=0.8)
    ax.axhline(0.99 * full_accuracy, color="grey", linewidth=0.8, linestyle=":")
    ax.text(ax.get_xlim()[0], full_accuracy, " full pool", va="bottom", fontsize=8, color="grey")
    ax.set(xlabel="labels", ylabel=f"{metric.replace('_', ' ')} on the held-out split", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, format=fmt)
    plt.close(fig)
