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

from collections.abc import Callable
from typing import Any

import torch

from learner.arrays import as_float_tensor, like_input
from learner.device import resolve_device
from learner.exceptions import LearnerError
from learner.strategies.uncertainty import entropy_of, p_log_p

CPU_BLOCK_ITEMS = 65536  # items per block on CPU: the fastest of 4k, 16k and 64k measured at 1M


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
    return like_input(committee_probs, _by_rows(p, lambda block: entropy_of(_consensus(block))))


def max_disagreement(committee_probs: Any, *, device: str | torch.device = "auto") -> Any:
    """max_m KL(p_m || consensus): the one member that disagrees most decides."""
    return like_input(committee_probs, _by_rows(committee_tensor(committee_probs, device), _max_kl))


def bald(committee_probs: Any, *, device: str | torch.device = "auto") -> Any:
    """Mutual information H(mean_m p_m) - mean_m H(p_m) = mean_m KL(p_m || consensus), >= 0."""
    return like_input(committee_probs, _by_rows(committee_tensor(committee_probs, device), _mutual_information))


def _max_kl(p: torch.Tensor) -> torch.Tensor:
    """(m, b, c) -> max_m KL(p_m || consensus) (b,)."""
    q = _consensus(p)  # (b, c)
    # KL(p_m || q) = sum_c p log p - sum_c p log q: one temporary and one contraction instead of
    # forming p / q. Where q == 0 every p_m is 0 too, so log q may be clamped like p log p.
    log_q = q.clamp_min(torch.finfo(q.dtype).tiny).log()  # (b, c)
    cross = torch.einsum("mbc,bc->mb", p, log_q)  # (m, b)
    return (p_log_p(p).sum(dim=2) - cross).amax(dim=0).clamp_min(0.0)


def _mutual_information(p: torch.Tensor) -> torch.Tensor:
    """(m, b, c) -> H(consensus) - mean_m H(p_m) (b,)."""
    return (entropy_of(_consensus(p)) - entropy_of(p).mean(dim=0)).clamp_min(0.0)


def _consensus(p: torch.Tensor) -> torch.Tensor:
    """mean_m p_m (b, c); sum then divide in place, 2x faster on CPU than torch.mean over dim 0."""
    return p.sum(dim=0).div_(len(p))


def _by_rows(p: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Apply `score` ((m, b, c) -> (b,)) to blocks of items and gather the (n,) result.

    On CPU, blocks of CPU_BLOCK_ITEMS keep the temporaries in cache and reuse their memory:
    whole-pool temporaries at 1M items are 40-400 MB that page-fault on every call, which made
    consensus entropy 3x and max disagreement 2x slower. On CUDA the whole pool is one block.
    """
    n = p.shape[1]
    block = n if p.device.type == "cuda" else CPU_BLOCK_ITEMS
    if n <= block:
        return score(p)
    out = torch.empty(n, dtype=p.dtype, device=p.device)
    for start in range(0, n, block):
        out[start : start + block] = score(p[:, start : start + block])
    return out
