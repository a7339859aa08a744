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
from learner.exceptions import LearnerError
from learner.strategies.uncertainty import entropy_of, p_log_p


def committee_tensor(committee_probs: Any, device: str | torch.device) -> torch.Tensor:
    """committee_probs as a float tensor (m, n, c) on the device; LearnerError for another rank."""
    name = "committee_probs (m_members, n_samples, n_classes)"
    p = as_float_tensor(committee_probs, resolve_device(device), name, ndim=3)
    if p.shape[0] < 1:
        raise LearnerError(f"A committee needs at least 1 member, got {name} of shape {tuple(p.shape)}.")
    return p


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
    return like_input(committee_probs, entropy_of(_consensus(p)))


def max_disagreement(committee_probs: Any, *, device: str | torch.device = "auto") -> Any:
    """max_m KL(p_m || consensus): the one member that disagrees most decides."""
    p = committee_tensor(committee_probs, device)
    q = _consensus(p)  # (n, c)
    # KL(p_m || q) = sum_c p log p - sum_c p log q: one (m, n, c) temporary and one contraction,
    # instead of forming p / q. Where q == 0 every p_m is 0 too, so log q may be taken as 0 there.
    log_q = torch.where(q > 0, q.log(), 0.0)  # (n, c)
    cross = torch.einsum("mnc,nc->mn", p, log_q)  # (m, n)
    neg_entropy = p_log_p(p).sum(dim=2)  # (m, n)
    return like_input(committee_probs, (neg_entropy - cross).amax(dim=0).clamp_min(0.0))


def bald(committee_probs: Any, *, device: str | torch.device = "auto") -> Any:
    """Mutual information H(mean_m p_m) - mean_m H(p_m) = mean_m KL(p_m || consensus), >= 0."""
    p = committee_tensor(committee_probs, device)
    mean_member_entropy = entropy_of(p).mean(dim=0)  # (n,)
    return like_input(committee_probs, (entropy_of(_consensus(p)) - mean_member_entropy).clamp_min(0.0))


def _consensus(p: torch.Tensor) -> torch.Tensor:
    """mean_m p_m (n, c); sum then divide in place, 2x faster on CPU than torch.mean over dim 0."""
    return p.sum(dim=0).div_(len(p))
