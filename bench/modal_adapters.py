"""Run modAL's own query code on fixed probabilities, so it and Tweezer score the same inputs.

modAL asks an estimator for `predict_proba`/`predict`; `FixedProba` answers from a stored
array, looking rows up by the id in column 0 of X. Only the constructors and modAL's measures
are used: `teach()` breaks on scikit-learn >= 1.8 (see shared/DATA.md) and is never called.
"""

import numpy as np
from modAL.models import ActiveLearner, Committee


class FixedProba:
    """An 'estimator' with precomputed probabilities (n, c) for row ids X[:, 0]."""

    def __init__(self, probs: np.ndarray) -> None:
        self.probs = probs
        self.classes_ = np.arange(probs.shape[1])

    def fit(self, X: np.ndarray, y: np.ndarray) -> "FixedProba":
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.probs[X[:, 0].astype(np.int64)]

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


def row_ids(n: int) -> np.ndarray:
    """X for modAL: one column of row ids (n, 1)."""
    return np.arange(n, dtype=np.float64)[:, None]


def modal_learner(probs: np.ndarray) -> ActiveLearner:
    return ActiveLearner(estimator=FixedProba(probs))


def modal_committee(committee_probs: np.ndarray) -> Committee:
    """committee_probs (m, n, c) -> a modAL Committee of m learners."""
    return Committee(learner_list=[modal_learner(p) for p in committee_probs])
