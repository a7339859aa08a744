"""The first batch, before any model exists: typical items of the pool, not a random draw.

With pretrained embeddings the pool has a geometry before a single label. The first
`retrain_every` unlabeled items are the typical representatives of as many k-means clusters
(learner.batch.typical_representatives), so the first model sees one clear example of each kind
of item. Measured on MNIST-5k (bench/results/cold-start-cpu.md): 0.71 accuracy from 20 such
labels, against 0.51 from 20 random ones and 0.42 from a k-center cover, whose farthest-first
picks are outliers. The picks move to the front of `cold_rank`; the rest keep their seeded
random order behind them.
"""

import numpy as np
from django.db import transaction
from django.db.models import F

from labeling.models import Item, ModelVersion, Project
from labeling.selectors.embeddings import embeddings_for_items
from learner.batch import typical_representatives


@transaction.atomic
def cold_start_order_by_typicality(*, project: Project) -> list[int]:
    """Put typical unlabeled pool items first in the cold-start order; their ids, best first.

    Does nothing (returns []) once a model version is done: from then on the model ranks the pool.
    """
    if ModelVersion.objects.filter(project=project, status=ModelVersion.Status.DONE).exists():
        return []
    pool = Item.objects.filter(project=project, split=Item.Split.POOL)
    unlabeled = np.fromiter(pool.filter(labels__isnull=True).order_by("id").values_list("id", flat=True), np.int64)
    k = min(project.retrain_every, len(unlabeled))
    if k == 0:
        return []
    picks = typical_representatives(embeddings_for_items(project=project, item_ids=unlabeled), k, seed=project.seed)
    chosen = unlabeled[picks].tolist()
    Item.objects.filter(project=project).update(cold_rank=F("cold_rank") + k)
    for rank, item_id in enumerate(chosen):
        Item.objects.filter(pk=item_id).update(cold_rank=rank)
    return chosen
