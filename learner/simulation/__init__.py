"""Simulated annotation: replay the active-learning loop on data whose labels are known.

A simulated annotator reveals the true label of every item the strategy asks for; after each
batch the product's own round (learner.training.run_round) retrains and ranks again, and the
accuracy on a held-out split that is never queried traces the learning curve. The benchmark
(bench/learning_curves.py) and the in-product replay (labeling.services.replays) both run this.
"""

from learner.simulation.curves import (
    CurveSummary,
    Recommendation,
    aulc,
    curve_name,
    labels_to_reach,
    recommend,
    summarise,
)
from learner.simulation.loop import START_CHOICES, Curve, full_pool_accuracy, simulate, typical_start

__all__ = [
    "START_CHOICES",
    "Curve",
    "CurveSummary",
    "Recommendation",
    "aulc",
    "curve_name",
    "full_pool_accuracy",
    "labels_to_reach",
    "recommend",
    "simulate",
    "summarise",
    "typical_start",
]
