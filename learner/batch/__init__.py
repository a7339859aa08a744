"""Batch-aware selection: choose k items to label together so they are not k near-copies.

Scoring (learner.strategies) says how informative each item is; these functions choose a batch
that is also diverse, in torch on a device resolved once, fast enough for pools of 1M x 512
(fp16 on a GPU): each pick costs one read of the embedding matrix and no n x n or n x k
matrix is ever built.

- `k_center_greedy`: core-set farthest-first traversal (Sener & Savarese 2018).
- `badge`: k-means++ seeding over gradient embeddings, never materialised (Ash et al. 2020).
- `diverse_top_k`: top-M by any score, then farthest-first inside them (Zhdanov 2019 family).
- `split_for_annotators`: deal a batch out round-robin, best items first for everyone.
- `typical_representatives`: the cold-start batch, one typical item per k-means cluster.
"""

from learner.batch.badge import badge
from learner.batch.diverse import diverse_top_k
from learner.batch.kcenter import k_center_greedy, k_center_greedy_reference
from learner.batch.split import split_for_annotators
from learner.batch.typical import typical_representatives

__all__ = [
    "badge",
    "diverse_top_k",
    "k_center_greedy",
    "k_center_greedy_reference",
    "split_for_annotators",
    "typical_representatives",
]
