"""Hypothesis generators for the arrays that strategies score."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@st.composite
def probability_rows(draw: st.DrawFn, max_n: int = 12) -> np.ndarray:
    """Valid (n, c) probability matrices, exact zeros and one-hots included."""
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(2, 6))
    raw = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(0.0, 1.0)))
    raw[raw.sum(axis=1) == 0] = 1.0  # an all-zero row becomes uniform
    return raw / raw.sum(axis=1, keepdims=True)


@st.composite
def committee_probs(draw: st.DrawFn) -> np.ndarray:
    """Valid (m, n, c) committee probabilities: m members, each row a distribution."""
    m = draw(st.integers(2, 5))
    n = draw(st.integers(1, 10))
    c = draw(st.integers(2, 5))
    raw = draw(hnp.arrays(np.float64, (m, n, c), elements=st.floats(0.0, 1.0)))
    raw[raw.sum(axis=2) == 0] = 1.0
    return raw / raw.sum(axis=2, keepdims=True)
