"""Fine-tune the last block of EfficientNet-Lite0 and a linear head on stored prefix maps.

`LastBlockClassifier` is a `SoftmaxClassifier` whose module starts from the pretrained tail
(`LastBlockTail`) instead of the identity, so everything around the module is shared: label
encoding, class-balanced full-batch Adam, early stopping on a stratified split, then a refit on
every label, and to_bytes/from_bytes. What differs: inputs are fed raw (the block expects the
activations the prefix made), the pooled 1280-d features are standardised inside the module
with statistics taken once per fit from the pretrained tail (so at step 0 the linear layer sees
exactly what the frozen head sees), and the pretrained parts take a small step with no weight
decay toward zero.
"""

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import torch
from torch import nn

from learner.finetune.prefix import LastBlockTail
from learner.models.softmax import SoftmaxClassifier, SoftmaxConfig, feature_scaler
from learner.types import FloatArray


@dataclass(frozen=True)
class FinetuneConfig(SoftmaxConfig):
    """SoftmaxConfig for the linear layer, plus the pretrained parts' step size.

    Fewer steps at most than the frozen head (each step runs the block on every labeled item),
    but the same floor of 50: with 10, early stopping on a few labels stopped the head before it
    had learned and cost 0.05 accuracy at 100 MNIST labels.
    """

    block_lr: float = 1e-4  # Adam step size for the last block, head conv and BN (no weight decay)
    epochs: int = 150
    patience: int = 30


class LastBlockNet(nn.Module):
    """Flattened prefix maps (n, C*h*w) -> class logits (n, n_classes)."""

    feature_mean: torch.Tensor
    feature_std: torch.Tensor

    def __init__(self, tail: LastBlockTail, n_features: int, n_classes: int) -> None:
        super().__init__()
        self.tail = tail
        self.channels = int(tail.block._block_args.input_filters)  # C = 192
        self.side = round((n_features / self.channels) ** 0.5)  # h = w
        dim = int(tail.conv_head.out_channels)  # 1280
        self.register_buffer("feature_mean", torch.zeros(dim))  # (1280,) set once per fit
        self.register_buffer("feature_std", torch.ones(dim))  # (1280,)
        self.out = nn.Linear(dim, n_classes)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """Flattened maps (n, C*h*w) -> the encoder's pooled features (n, 1280), before standardising."""
        maps = x.view(x.shape[0], self.channels, self.side, self.side)  # (n, C, h, w)
        return self.tail(maps)  # (n, 1280)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """What the output layer sees: standardised pooled features (n, 1280)."""
        return (self.pooled(x) - self.feature_mean) / self.feature_std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))  # (n, n_classes)


class LastBlockClassifier(SoftmaxClassifier):
    """fit(X (n, C*h*w) flattened prefix maps, y (n,)) -> predict_proba (n, n_classes); embed -> (n, 1280).

    Pass a FinetuneConfig; a plain SoftmaxConfig trains the tail at FinetuneConfig's block_lr.
    """

    config_class: ClassVar[type[SoftmaxConfig]] = FinetuneConfig
    feature_mean_: torch.Tensor | None = None  # (1280,) pooled-feature scaler, from the pretrained tail
    feature_std_: torch.Tensor | None = None

    def __init__(self, config: SoftmaxConfig = FinetuneConfig(), device: str = "auto") -> None:
        super().__init__(config, device)

    def fit(self, X: FloatArray | torch.Tensor, y: Any) -> Self:
        x = self._as_tensor(X)
        tail = LastBlockTail.pretrained().to(self.device).eval()
        net = LastBlockNet(tail, x.shape[1], 2)
        with torch.no_grad():
            pooled = torch.cat([net.pooled(x[i : i + 256]) for i in range(0, len(x), 256)])  # (n, 1280)
        self.feature_mean_, self.feature_std_ = feature_scaler(pooled)
        return super().fit(x, y)

    @torch.no_grad()
    def embed(self, X: FloatArray | torch.Tensor) -> torch.Tensor:
        """The fine-tuned, standardised pooled features (n, 1280) the output layer sees, on the model's device."""
        module = self._fitted()
        assert isinstance(module, LastBlockNet)
        return module.features(self._as_tensor(X))  # (n, 1280)

    def _standardise(self, x: torch.Tensor) -> torch.Tensor:
        return x  # the block expects the prefix's activations as they are; the module standardises after pooling

    def _build_module(self) -> nn.Module:
        net = LastBlockNet(LastBlockTail.pretrained(), self.n_features_in_, len(self.classes_))
        if self.feature_mean_ is not None and self.feature_std_ is not None:  # from_bytes loads them with the weights
            net.feature_mean.copy_(self.feature_mean_)
            net.feature_std.copy_(self.feature_std_)
        return net

    def _param_groups(self, module: nn.Module) -> list[dict[str, Any]]:
        """The pretrained tail at block_lr without decay (it starts where ImageNet left it); the new
        linear layer as SoftmaxClassifier trains it."""
        block_lr = getattr(self.config, "block_lr", FinetuneConfig.block_lr)
        tail = [p for name, p in module.named_parameters() if not name.startswith("out.")]
        return [
            {"params": tail, "lr": block_lr, "weight_decay": 0.0},
            {"params": [module.get_parameter("out.weight")], "weight_decay": self.config.weight_decay},
            {"params": [module.get_parameter("out.bias")], "weight_decay": 0.0},
        ]
