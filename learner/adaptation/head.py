"""The contrastive projection head: a small MLP over frozen, standardised embeddings."""

from dataclasses import dataclass

import torch
from torch import nn

from learner.exceptions import LearnerError

REPRESENTATIONS = ("hidden", "concat", "residual")


@dataclass(frozen=True)
class ContrastiveConfig:
    hidden: int = 512  # width of the adapted layer
    out: int = 128  # width of the space the loss compares views in (SimCLR's z)
    representation: str = "hidden"  # what transform() returns (see ProjectionHead); best at 20-100 MNIST labels
    batch_norm: bool = True  # in the MLP, as in SimCLR's projection head
    temperature: float = 1.0  # NT-Xent; on frozen MNIST features 1.0 beat 0.1-0.5, matched 2.0 (validation split)
    epochs: int = 30  # passes over the pool, each with fresh pairs of views (60 measured no better)
    batch_size: int = 256  # items per step; each step contrasts 2 x batch_size views
    lr: float = 1e-3  # Adam step size
    weight_decay: float = 1e-5
    feature_dropout: float = 0.0  # embedding-space views: share of features zeroed per view (texts)
    noise: float = 0.0  # embedding-space views: gaussian noise std, in standardised units (texts)
    seed: int = 0  # initialisation, batch order, view pairs and embedding noise


class ProjectionHead(nn.Module):
    """Standardised embeddings x (n, d) -> (adapted representation, projection z (n, out)).

    The loss only sees z; what the classifier gets is taken before the last layer (SimCLR's
    finding: the layer under the projection keeps more of what the loss would throw away):
    - "hidden": h (n, hidden), the adapted layer alone;
    - "concat": [x, h] (n, d + hidden), the pretrained embedding kept next to the adapted layer;
    - "residual": x + up(h) (n, d), `up` zero-initialised so training starts from the pretrained space,
      and z is computed from that sum.
    """

    def __init__(self, d_in: int, config: ContrastiveConfig) -> None:
        super().__init__()
        if config.representation not in REPRESENTATIONS:
            raise LearnerError(f"representation must be one of {REPRESENTATIONS}, got {config.representation!r}.")
        self.representation = config.representation
        norm = nn.BatchNorm1d(config.hidden) if config.batch_norm else nn.Identity()
        self.body = nn.Sequential(nn.Linear(d_in, config.hidden), norm, nn.ReLU())  # (n, hidden)
        if self.representation == "residual":
            self.up = nn.Linear(config.hidden, d_in)
            nn.init.zeros_(self.up.weight)
            nn.init.zeros_(self.up.bias)
            self.project: nn.Module = nn.Linear(d_in, config.out)
        else:
            self.project = nn.Linear(config.hidden, config.out)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)  # (n, hidden)
        if self.representation == "residual":
            r = x + self.up(h)  # (n, d)
            return r, self.project(r)  # (n, d), (n, out)
        z = self.project(h)  # (n, out)
        return (h if self.representation == "hidden" else torch.cat([x, h], dim=1)), z
