import numpy as np
import pytest

from learner.batch import typical_representatives
from learner.exceptions import LearnerError


def _blobs() -> tuple[np.ndarray, np.ndarray]:
    """Three axis directions; each blob is its axis point plus symmetric pairs around it.

    Pairs c +- delta * e_j (j another axis) have mirror-image unit vectors, so the blob's mean
    unit vector lies on the axis and the axis point is the member nearest the centroid.
    Blob sizes 29, 21 and 9 (1 + 4 m for m = 7, 5, 2 offsets).
    """
    rows, centres = [], []
    for axis, m in zip(range(3), (7, 5, 2), strict=True):
        centre = np.eye(3)[axis] * 5
        centres.append(len(rows))
        rows.append(centre)
        for other in [a for a in range(3) if a != axis]:
            for delta in np.linspace(0.3, 1.2, m):
                rows += [centre + delta * np.eye(3)[other], centre - delta * np.eye(3)[other]]
    return np.array(rows), np.array(centres)


def test_one_typical_item_per_cluster_largest_first() -> None:
    X, centres = _blobs()
    np.testing.assert_array_equal(typical_representatives(X, 3), centres)


def test_a_sample_of_a_large_pool_still_finds_typical_items() -> None:
    X, _ = _blobs()
    picks = typical_representatives(np.repeat(X, 50, axis=0), 3, max_rows=500)
    blob = np.repeat(np.repeat([0, 1, 2], (29, 21, 9)), 50)[picks]
    assert sorted(blob.tolist()) == [0, 1, 2]


def test_k_beyond_n_and_bad_k() -> None:
    X, _ = _blobs()
    assert sorted(typical_representatives(X[:4], 10).tolist()) == [0, 1, 2, 3]
    assert typical_representatives(X, 0).shape == (0,)
    with pytest.raises(LearnerError, match="k must be >= 0"):
        typical_representatives(X, -1)
