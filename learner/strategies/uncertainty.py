"""Uncertainty sampling: ask about the items the model is least sure of (Settles 2009, sec. 3.1).

Each scorer reads `probs` (n_samples, n_classes), rows summing to 1, once, and returns scores
(n_samples,), higher = ask first: float64 numpy for numpy input, a tensor on `device` for
torch input. Work happens in float32 (float64 input stays float64).
"""

from typing import Any

import torch

from learner.arrays import as_float_tensor, like_input
from learner.device import resolve_device
from learner.exceptions import LearnerError


def probs_tensor(probs: Any, device: str | torch.device, min_classes: int = 1) -> torch.Tensor:
    """probs as a float tensor (n, c) on the device; LearnerError for another rank or too few columns."""
    p = as_float_tensor(probs, resolve_device(device), "probs (n_samples, n_classes)", ndim=2)
    if p.shape[1] < min_classes:
        raise LearnerError(f"Need at least {min_classes} class columns in probs, got {p.shape[1]}.")
    return p


def p_log_p(p: torch.Tensor) -> torch.Tensor:
    """p log p elementwise, with 0 log 0 = 0.

    log(max(p, tiny)) equals log p for every normal p and makes 0 * log 0 a finite 0 * -87 = 0;
    it is twice as fast on CPU as torch.special.xlogy, which does not vectorise there.
    """
    return p * p.clamp_min(torch.finfo(p.dtype).tiny).log()


def entropy_of(p: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Shannon entropy -sum p log p in nats along `dim`, with 0 log 0 = 0."""
    return -p_log_p(p).sum(dim=dim) + 0.0  # + 0.0: a certain row scores 0.0, not -0.0


def least_confidence(probs: Any, *, device: str | torch.device = "auto") -> Any:
    """1 - max_c p(c|x): how unsure the model is of its own top guess (Lewis & Gale, 1994)."""
    p = probs_tensor(probs, device)
    return like_input(probs, 1.0 - p.amax(dim=1))


def margin(probs: Any, *, device: str | torch.device = "auto") -> Any:
    """-(p_top1 - p_top2): a small gap between the two best classes ranks first (Scheffer et al., 2001)."""
    p = probs_tensor(probs, device, min_classes=2)
    top2 = p.topk(2, dim=1).values  # (n, 2), top2[:, 0] >= top2[:, 1]
    return like_input(probs, top2[:, 1] - top2[:, 0])


def entropy(probs: Any, *, device: str | torch.device = "auto") -> Any:
    """Shannon entropy of the predicted distribution, in nats (Settles 2009, eq. 3.3)."""
    return like_input(probs, entropy_of(probs_tensor(probs, device)))
