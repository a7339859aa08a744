"""Tables of the labeling app, one module per entity group."""

from labeling.models.embeddings import EmbeddingRun, EmbeddingSet
from labeling.models.items import Item
from labeling.models.labels import Assignment, Label, LabelChange, ReviewChange, ReviewDecision, Skip
from labeling.models.projects import LabelClass, Membership, Project
from labeling.models.replays import StrategyReplay
from labeling.models.training import ItemScore, ModelVersion

__all__ = [
    "Assignment",
    "EmbeddingRun",
    "EmbeddingSet",
    "Item",
    "ItemScore",
    "Label",
    "LabelChange",
    "LabelClass",
    "Membership",
    "ModelVersion",
    "Project",
    "ReviewChange",
    "ReviewDecision",
    "Skip",
    "StrategyReplay",
]
