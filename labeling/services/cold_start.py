"""The first batch, before any model exists: cover the pool instead of drawing at random.

With pretrained embeddings the pool has a geometry before a single label: k-center greedy
(core-set, Sener & Savarese 2018) picks the first `retrain_every` items so that every region of
the embedding space is near one of them, and the first model sees every kind of item. Items
already labeled seed the cover. The picks move to the front of `cold_rank`; the rest keep their
seeded random order behind them.
"""

import numpy as np
from django.db import transaction
from django.db.models import F

from labeling.models import Item, ModelVersion, Project
from labeling.selectors.embeddings import embeddings_for_items
from learner.batch import k_center_greedy


@transaction.atomic
def cold_start_order_by_coverage(*, project: Project, device: str) -> list[int]:
    """Put a k-center batch of unlabeled pool items first in the cold-start order; their ids, best first.

    Does nothing (returns []) once a model version is done: from then on the model ranks the pool.
    """
    if ModelVersion.objects.filter(project=project, status=ModelVersion.Status.DONE).exists():
        return []
    pool = Item.objects.filter(project=project, split=Item.Split.POOL)
    unlabeled = np.fromiter(pool.filter(labels__isnull=True).order_by("id").values_list("id", flat=True), np.int64)
    labeled = np.fromiter(pool.filter(labels__isnull=False).distinct().order_by("id").values_list("id", flat=True),
                          np.int64)  # fmt: skip
    k = min(project.retrain_every, len(unlabeled))
    if k == 0:
        return []
    picks, _ = k_center_greedy(
        embeddings_for_items(project=project, item_ids=unlabeled), k, metric="cosine",
        labeled_embeddings=embeddings_for_items(project=project, item_ids=labeled) if len(labeled) else None,
        device=device,
    )  # fmt: skip
    chosen = unlabeled[picks].tolist()
    Item.objects.filter(project=project).update(cold_rank=F("cold_rank") + k)
    for rank, item_id in enumerate(chosen):
        Item.objects.filter(pk=item_id).update(cold_rank=rank)
    return chosen
