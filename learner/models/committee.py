"""A committee of linear softmax heads on bootstrap resamples, trained and run as one module.

Query-by-committee and BALD need m models that disagree where the data is thin. Here the m
heads are one weight tensor (m, d, c): a forward pass reads the embeddings once for all
members (one einsum), and training is one optimiser over all members, each seeing its own
bootstrap resample through per-row weights (Breiman 1996; Abe & Mamitsuka 1998).
"""

import numpy as np
import torch
from torch import nn

from learner.exceptions import LearnerError
from learner.models.softmax import SoftmaxClassifier
from learner.types import FloatArray


class CommitteeHead(nn.Module):
    """Features (n, d) -> logits of every member (m, n, c)."""

    def __init__(self, d_in: int, n_classes: int, members: int) -> None:
        super().__init__()
        bound = d_in**-0.5  # nn.Linear's default init range, per member
        self.weight = nn.Parameter(torch.empty(members, d_in, n_classes).uniform_(-bound, bound))  # (m, d, c)
        self.bias = nn.Parameter(torch.empty(members, 1, n_classes).uniform_(-bound, bound))  # (m, 1, c)
        self.body = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nd,mdc->mnc", x, self.weight) + self.bias  # (m, n, c)


class SoftmaxCommittee(SoftmaxClassifier):
    """SoftmaxClassifier whose `predict_proba` is the committee's consensus (mean over members);
    `predict_proba_members` gives every member's probabilities (m, n, c)."""

    _counts: torch.Tensor | None = None  # (m, n) bootstrap draws, made once per fit

    def _build_module(self) -> nn.Module:
        if self.config.hidden:
            raise LearnerError("SoftmaxCommittee has linear heads only; set hidden=0.")
        if self.config.members < 2:
            raise LearnerError(f"A committee needs at least 2 members, got {self.config.members}.")
        return CommitteeHead(self.n_features_in_, len(self.classes_), self.config.members)

    def _loss(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        m, n, c = logits.shape
        counts = self._bootstrap_counts(m, n)  # (m, n) how often each member draws each row
        per_row = nn.functional.cross_entropy(
            logits.reshape(m * n, c), target.repeat(m), weight=weight, reduction="none"
        ).reshape(m, n)  # (m, n)
        row_weight = counts * weight[target]  # (m, n) bootstrap x class balance
        return (per_row * counts).sum() / row_weight.sum()

    def _validation_loss(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        consensus = torch.softmax(logits, dim=-1).mean(dim=0)  # (m, n, c) -> (n, c): what predict_proba returns
        return nn.functional.nll_loss(consensus.clamp_min(1e-12).log(), target, weight=weight)

    def _bootstrap_counts(self, members: int, n: int) -> torch.Tensor:
        if self._counts is None or self._counts.shape != (members, n):
            rng = np.random.default_rng(self.config.seed)
            draws = rng.integers(0, n, size=(members, n))  # (m, n) row indices, with replacement
            counts = np.stack([np.bincount(row, minlength=n) for row in draws])  # (m, n)
            self._counts = torch.as_tensor(counts, dtype=torch.float32, device=self.device)
        return self._counts

    @torch.no_grad()
    def predict_proba_members(self, X: FloatArray | torch.Tensor) -> torch.Tensor:
        """Every member's class probabilities (m, n, c) float32, on the model's device."""
        return torch.softmax(self._logits(self._as_tensor(X)), dim=-1)  # (m, n, c)

    def predict_proba_tensor(self, X: FloatArray | torch.Tensor) -> torch.Tensor:
        return self.predict_proba_members(X).double().mean(dim=0)  # (n, c) consensus, on the device
