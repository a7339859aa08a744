from dataclasses import dataclass, field

import numpy as np

from labeling.features import project_features
from labeling.models import Item, ModelVersion, Project
from labeling.selectors.embeddings import embeddings_for_items
from labeling.selectors.resolution import item_resolutions
from learner.types import FloatArray


@dataclass(frozen=True)
class TrainingData:
    """Arrays for one round, in the shapes learner.training.run_round takes."""

    X_train: FloatArray  # (n_labeled, d)
    y_train: np.ndarray  # (n_labeled,) class names
    train_item_ids: np.ndarray  # (n_labeled,) Item ids, row-aligned with X_train
    X_pool: FloatArray  # (n_unlabeled, d)
    pool_item_ids: np.ndarray  # (n_unlabeled,) Item ids, row-aligned with X_pool
    X_eval: FloatArray  # (n_eval, d)
    y_eval: np.ndarray  # (n_eval,) gold class names, or an audit item's label
    n_audit: int = 0  # how many of the eval rows are labeled audit items (the yardstick without an eval split)
    eval_item_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (n_eval,) X_eval's rows


def training_data_build(*, project: Project, prefix: bool = False) -> TrainingData:
    """Features for every item; a labeled pool item's class is its labels' resolution under the
    project's policy (labeling.selectors.resolution); items still waiting or in review are left out.

    Gold items train on their known answer, never on annotators' answers to them.
    Labeled audit items are never trained on: they join the evaluation rows, their label as the
    truth, since they were drawn at random and no strategy chose them.

    `prefix`: the encoder's stored prefix maps (n_items, C*h*w), for fine-tuning its last block.
    """
    items = list(Item.objects.filter(project=project).select_related("gold_class").order_by("id"))
    if project.encoder:
        ids = np.array([item.id for item in items], dtype=np.int64)
        features = embeddings_for_items(project=project, item_ids=ids, prefix=prefix)  # (n_items, dim) pretrained
    else:
        features = project_features(project=project, items=items)  # (n_items, d) pixels or TF-IDF
    resolutions = list(item_resolutions(project=project))
    label_of = {r.item_id: r.label for r in resolutions if r.label is not None}
    labeled = {r.item_id for r in resolutions}
    label_of.update({item.id: item.gold_class.name for item in items if item.gold})  # type: ignore[union-attr]  # known answers train

    train, pool, evaluation, audit = [], [], [], []
    for row, item in enumerate(items):
        if item.split == Item.Split.EVAL:
            evaluation.append(row)
        elif item.id in label_of and item.audit:
            audit.append(row)
        elif item.id in label_of:
            train.append(row)
        elif item.id not in labeled:  # labeled but unresolved items wait for labels or a reviewer
            pool.append(row)
    ids = np.array([item.id for item in items], dtype=np.int64)
    return TrainingData(
        X_train=features[train],
        y_train=np.array([label_of[items[r].id] for r in train], dtype=object),
        train_item_ids=ids[train],
        X_pool=features[pool],
        pool_item_ids=ids[pool],
        X_eval=features[evaluation + audit],
        y_eval=np.array(
            [items[r].gold_class.name for r in evaluation] + [label_of[items[r].id] for r in audit],  # type: ignore[union-attr]
            dtype=object,
        ),
        n_audit=len(audit),
        eval_item_ids=ids[evaluation + audit],
    )


def model_version_list(*, project: Project) -> list[ModelVersion]:
    return list(ModelVersion.objects.filter(project=project).order_by("-number"))
