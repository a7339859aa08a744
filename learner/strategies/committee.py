"""Query-by-committee: ask where the members of a committee disagree (Seung et al., 1992).

Each scorer reads `committee_probs` (m_members, n_samples, n_classes) once; the committee comes
from `learner.models.committee` (bootstrap members trained and run as one fused module).
Scores are (n_samples,), higher = ask first, numpy float64 for numpy input, else a tensor.

- vote_entropy: entropy of the members' hard votes (Dagan & Engelson, 1995).
- consensus_entropy: entropy of the mean distribution, the committee's "soft vote".
- max_disagreement: the largest KL(member || consensus) over members (modAL's measure).
- bald: mutual information between the label and the member, H(mean p) - mean H(p_m)
  (Houlsby et al., 2011). It is also the mean KL(member || consensus), McCallum & Nigam's
  (1998) "KL divergence to the mean" (Settles 2009, eq. 3.5), registered as kl_consensus.
"""

from typing import Any

import torch

from learner.arrays import as_float_tensor, like_input
from learner.device import resolve_device
from learner.strategies.uncertainty import entropy_of


def committee_tensor(committee_probs: Any, device: str | torch.device) -> torch.Tensor:
    """committee_probs as a float tensor (m, n, c) on the device; LearnerError for another rank."""
    name = "committee_probs (m_members, n_samples, n_classes)"
    return as_float_tensor(committee_probs, resolve_device(device), name, ndim=3)


def vote_entropy(committee_probs: Any, *, device: str | torch.device = "auto") -> Any:
    """Entropy of the vote shares: each member votes for its argmax class (first of equal maxima)."""
    p = committee_tensor(committee_probs, device)
    m, n, c = p.shape
    votes = p.argmax(dim=2)  # (m, n) each member's class per item
    counts = torch.zeros(n, c, dtype=p.dtype, device=p.device)
    counts.scatter_add_(1, votes.T, torch.ones_like(votes.T, dtype=p.dtype))  # (n, c) votes per class
    return like_input(committee_probs, entropy_of(counts / m))


def consensus_entropy(committee_probs: Any, *, device: str | torch.device = "auto") -> Any:
    """Entropy of the consensus, the mean of the members' distributions (n, c)."""
    p = committee_tensor(committee_probs, device)
    return like_input(committee_probs, entropy_of(p.mean(dim=0)))


def _kl_to_consensus(p: torch.Tensor) -> torch.Tensor:
    """KL(p_m || mean_m p_m) for every member and item (m, n), 0 log 0 = 0."""
    consensus = p.mean(dim=0, keepdim=True)  # (1, n, c)
    # Where p_m > 0 the consensus is > 0 too (it averages p_m), so the log ratio is finite.
    ratio = torch.where(p > 0, p / consensus, torch.ones_like(p))  # (m, n, c)
    return torch.special.xlogy(p, ratio).sum(dim=2)  # (m, n)


def max_disagreement(committee_probs: Any, *, device: str | torch.device = "auto") -> Any:
    """max_m KL(p_m || consensus): the one member that disagrees most decides."""
    p = committee_tensor(committee_probs, device)
    return like_input(committee_probs, _kl_to_consensus(p).amax(dim=0))


def bald(committee_probs: Any, *, device: str | torch.device = "auto") -> Any:
    """Mutual information H(mean_m p_m) - mean_m H(p_m) = mean_m KL(p_m || consensus), >= 0."""
    p = committee_tensor(committee_probs, device)
    return like_input(committee_probs, _kl_to_consensus(p).mean(dim=0).clamp_min(0.0))
