"""bench/stopping.py's replay of the stopping rules, on hand-made curves."""

from bench.stopping import advice_stop, stability_stop
from learner.stopping import PowerLaw, StabilityStep, advise

FLAT = PowerLaw(a=0.96, b=30.0, c=1.5)  # within 0.02 of its asymptote by 100 labels


def test_curve_stop_is_the_first_version_advise_calls_buy_little():
    labels = list(range(50, 601, 50))
    accuracy = [round(float(FLAT(n)) * 1000) / 1000 for n in labels]
    at = advice_stop(labels, accuracy, n_eval=1000)
    assert at is not None and labels[at] == 500  # .957 there, .959 the most the curve ever measures
    assert advise(labels[: at + 1], accuracy[: at + 1], n_eval=1000).verdict == "more labels buy little"
    assert advise(labels[:at], accuracy[:at], n_eval=1000).verdict != "more labels buy little"


def test_a_rising_line_never_stops():
    labels = list(range(50, 501, 50))
    assert advice_stop(labels, [0.5 + n / 1000 for n in labels], n_eval=1000) is None


def test_unsettled_predictions_hold_a_flat_curve_back():
    labels = list(range(50, 601, 50))
    accuracy = [round(float(FLAT(n)) * 1000) / 1000 for n in labels]
    shaky = [StabilityStep(n, 0.05, 0.95) for n in labels[1:]]
    assert advice_stop(labels, accuracy, n_eval=1000, stability=shaky) is None


def test_with_a_stop_set_the_first_settled_window_stops_unless_accuracy_clearly_climbs():
    labels = list(range(50, 601, 50))
    kappas = (0.9, 0.95, 0.97, 0.99, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)  # mean of 3 >= .99 first ends at kappas[5]
    settling = [StabilityStep(n, 0.0, k) for n, k in zip(labels[1:], kappas, strict=True)]
    accuracy = [round(float(FLAT(n)) * 1000) / 1000 for n in labels]
    assert advice_stop(labels, accuracy, n_eval=1000, stability=settling) == 6  # version 7, 350 labels
    rising = [0.3 + n / 1000 for n in labels]  # 15 points per 150 labels: still paying, whatever the stop set says
    assert advice_stop(labels, rising, n_eval=1000, stability=settling) is None


def test_stability_stop_names_the_version_not_the_comparison():
    steps = [StabilityStep(n, 0.0, k) for n, k in zip((20, 30, 40, 50), (0.9, 1.0, 1.0, 1.0), strict=True)]
    assert stability_stop(steps) == 4  # steps[3] (version 4 against 3) completes the window
    assert stability_stop(steps[:3]) is None
