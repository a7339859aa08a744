"""Optional fine-tuning of the last MBConv block of EfficientNet-Lite0, with the linear head.

Frozen embeddings leave every pretrained weight as ImageNet set it. With a GPU and a few
hundred labels, letting the last block (and the 1x1 head conv and its BN) move too can adapt
the features to the project. The frozen prefix (stem + every block but the last) is still run
only once per item: its output, the "prefix maps", is stored like an embedding, and the
classifier learns from those (`PrefixEncoder` computes them, `LastBlockClassifier` trains on
them).
"""

from learner.finetune.classifier import FinetuneConfig, LastBlockClassifier, LastBlockNet
from learner.finetune.prefix import FINETUNABLE_ENCODERS, LastBlockTail, PrefixEncoder, load_prefix_encoder

__all__ = [
    "FINETUNABLE_ENCODERS",
    "FinetuneConfig",
    "LastBlockClassifier",
    "LastBlockNet",
    "LastBlockTail",
    "PrefixEncoder",
    "load_prefix_encoder",
]
