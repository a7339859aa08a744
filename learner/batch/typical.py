"""Typical representatives: the cold-start batch for a pool nobody has labeled yet.

With no labels, the most useful first batch is made of items that are typical of the pool and
different from each other (Hacohen, Dekel & Weinshall, "Active Learning on a Budget", ICML 2022:
at tiny budgets typical items beat both random and core-set, whose farthest-first picks are
outliers). We cluster the unit-normalised embeddings into k groups with k-means and take from
each the member nearest its centroid, largest cluster first. Pools above `max_rows` are
clustered on a seeded uniform sample: a typical item of the sample is a typical item of the pool.
"""

from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import normalize

from learner.batch.distances import check_k
from learner.types import IntArray


def typical_representatives(embeddings: Any, k: int, *, seed: int = 0, max_rows: int = 20_000) -> IntArray:
    """min(k, n) distinct row indices (k,) int64 of `embeddings` (n, d), most populous cluster first."""
    check_k(k)
    X = np.asarray(embeddings, dtype=np.float32)
    n = len(X)
    k = min(k, n)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.arange(n) if n <= max_rows else np.sort(np.random.default_rng(seed).choice(n, max_rows, replace=False))
    unit = normalize(X[rows])  # (m, d) cosine geometry, like the rest of the cold start
    kmeans = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(unit)
    distance = np.linalg.norm(unit - kmeans.cluster_centers_[kmeans.labels_], axis=1)  # (m,) to own centroid
    sizes = np.bincount(kmeans.labels_, minlength=k)
    picks = []
    for cluster in np.argsort(-sizes, kind="stable"):
        members = np.flatnonzero(kmeans.labels_ == cluster)
        if len(members):
            picks.append(rows[members[np.argmin(distance[members])]])
    return np.array(picks, dtype=np.int64)
