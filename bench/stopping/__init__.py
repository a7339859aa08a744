"""Would the stopping advice have stopped at the right place? Checked on saved and fresh learning curves.

Part 1, the curve rule (learner.stopping.advise without a stop set, its fallback): replayed on
every saved curve of bench/results/learning-curves-<dataset>-curves.json (nothing is retrained).
After each version the rule sees only the points so far; the first version where it says "more
labels buy little" is where it would have stopped. With no budget the horizon is twice the
current labels: "would doubling the labels add a point?". Compared, per dataset, batch size and
strategy, with the labels the mean curve needs for 95% and 99% of the full-pool accuracy (as in
learning-curves-<dataset>.md) and with the accuracy at the stop (bench/stopping/saved.py).

Part 2, with a stop set (Bloodgood and Vijay-Shanker 2009): the saved curves hold no
predictions, so fresh runs (learner.simulation.simulate with X_stop) record each version's
predictions on a fixed stop set of 500 unlabeled pool rows, on digits, MNIST-5k (raw pixels and
EfficientNet embeddings) and Rotten Tomatoes (MiniLM embeddings). Three rules are replayed on
each: the paper's kappa rule alone, the curve rule alone, and advise with the stop set, the
product's rule (bench/stopping/fresh.py).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python -m bench.stopping
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python -m bench.stopping --skip-simulation   # part 1 only
"""

from collections.abc import Sequence

from learner.stopping import (
    BUY_LITTLE,
    KAPPA_WINDOW,
    MIN_POINTS,
    StabilityStep,
    advise,
    fit_learning_curve,
    measured_gain,
    stabilized_at,
)

N_TEST = {  # held-out items behind every accuracy: bench/learning_curves.py's _split sizes
    "digits": 400, "mnist-5k": 1000, "mnist-5k-pixels": 1000, "rotten-tomatoes": 2000, "mnist-5k-duplicates": 1000,
}  # fmt: skip
MIN_GAIN = 0.01  # advise's default: one accuracy point
N_BOOT = 100  # refits per band (advise uses 200): thousands of versions are replayed here
WHERE = ("before 95%", "95-99%", "after 99%", "never")


def advice_stop(
    labels: Sequence[int], accuracy: Sequence[float], *, n_eval: int, stability: Sequence[StabilityStep] | None = None
) -> int | None:
    """Index of the first version at which advise() says "more labels buy little"; None if never.

    `stability[i]` compares version i + 1 with version i; without it advise() uses the curve rule.
    The full advice (with its bootstrap band) is only computed where a cheap look cannot settle
    it. With KAPPA_WINDOW comparisons the verdict is the stop set's and the measured gain's, so
    the curve is fitted without bootstrap. Without them, the band always holds the fit, so a fit
    alone that projects >= MIN_GAIN, or a measured gain above MIN_GAIN at its low end, already
    means "labels still pay".
    """
    for k in range(MIN_POINTS, len(labels) + 1):
        seen, scores = labels[:k], accuracy[:k]
        measured, half, _ = measured_gain(seen, scores, n_eval=n_eval)
        if measured - half > MIN_GAIN:
            continue
        steps = None if stability is None else stability[: k - 1]
        fit = fit_learning_curve(seen, scores, n_eval=n_eval, n_boot=0)
        if steps is not None and len(steps) >= KAPPA_WINDOW:
            if stabilized_at([step.kappa for step in steps[-KAPPA_WINDOW:]]) is None:
                continue
        else:
            gain = fit.projected_gain(int(seen[-1]), 2 * int(seen[-1]))
            if gain is not None and gain.value >= MIN_GAIN:
                continue
            fit = fit_learning_curve(seen, scores, n_eval=n_eval, n_boot=N_BOOT)
        if advise(seen, scores, n_eval=n_eval, stability=steps, fit=fit, min_gain=MIN_GAIN).verdict == BUY_LITTLE:
            return k - 1
    return None


def stability_stop(steps: Sequence[StabilityStep]) -> int | None:
    """Index of the version at which the paper's rule first holds; None if never."""
    at = stabilized_at([step.kappa for step in steps])
    return None if at is None else at + 1  # steps[i] compares version i + 1 with version i


def where(stopped_at: int | None, l95: int | None, l99: int | None) -> str:
    """Which of WHERE a stop at `stopped_at` labels falls in, against the labels to 95% and 99%."""
    if stopped_at is None:
        return "never"
    if l95 is None or stopped_at < l95:
        return "before 95%"
    return "95-99%" if l99 is None or stopped_at < l99 else "after 99%"
