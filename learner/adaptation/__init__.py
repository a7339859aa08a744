"""Self-supervised adaptation: reshape frozen embeddings with the unlabeled pool before labels arrive.

A contrastive projection head (SimCLR: Chen et al. 2020) is trained with the NT-Xent loss to
bring two views of each pool item together and push other items apart; the classifier then
learns from the head's adapted representation instead of the raw embedding. Optional per
project, since it costs extra encoder passes (one per augmented view) and may not help.

- `augment_image`, `AugmentConfig`: SimCLR-style image views with Pillow and numpy.
- `embedding_noise`: feature dropout + gaussian noise, the embedding-space views texts get.
- `nt_xent`: the loss.
- `ProjectionHead`, `ContrastiveConfig`: the torch module and its config.
- `ContrastiveAdapter`: sklearn-style `fit(views)` / `transform(X)`; `config_for(modality)` its defaults.
"""

from learner.adaptation.adapter import ContrastiveAdapter, config_for
from learner.adaptation.augment import AUGMENTED_VIEWS, AugmentConfig, augment_image, embedding_noise
from learner.adaptation.head import ContrastiveConfig, ProjectionHead
from learner.adaptation.loss import nt_xent

__all__ = [
    "AUGMENTED_VIEWS",
    "AugmentConfig",
    "ContrastiveAdapter",
    "ContrastiveConfig",
    "ProjectionHead",
    "augment_image",
    "config_for",
    "embedding_noise",
    "nt_xent",
]
