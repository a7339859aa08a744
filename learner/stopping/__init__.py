"""When to stop labeling: intervals on a measured accuracy, a fitted learning curve with bands,
the stabilizing-predictions signal, and the one-sentence advice that combines them.

Framework-free like the rest of learner/: plain sequences and numpy arrays in, dataclasses out.
"""

from learner.stopping.advice import BUY_LITTLE, STILL_PAY, TOO_EARLY, Advice, advise, horizon_for, measured_gain
from learner.stopping.curve import MIN_POINTS, CurveFit, PowerLaw, Projection, fit_learning_curve
from learner.stopping.intervals import bootstrap_interval, macro_f1, wilson_interval, z_value
from learner.stopping.stability import (
    KAPPA_THRESHOLD,
    KAPPA_WINDOW,
    StabilityStep,
    cohen_kappa,
    prediction_change,
    stability_series,
    stabilized_at,
)

__all__ = [
    "BUY_LITTLE",
    "KAPPA_THRESHOLD",
    "KAPPA_WINDOW",
    "MIN_POINTS",
    "STILL_PAY",
    "TOO_EARLY",
    "Advice",
    "CurveFit",
    "PowerLaw",
    "Projection",
    "StabilityStep",
    "advise",
    "bootstrap_interval",
    "cohen_kappa",
    "fit_learning_curve",
    "horizon_for",
    "macro_f1",
    "measured_gain",
    "prediction_change",
    "stability_series",
    "stabilized_at",
    "wilson_interval",
    "z_value",
]
