"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020)."""

import torch
from torch import nn


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """Mean NT-Xent over the 2n views of a batch. z1, z2: (n, k), row i of each a view of item i.

    Each view must pick its partner out of the other 2n - 1 views by cosine similarity / temperature;
    the other items' views in the batch are the negatives. Lower = views of one item agree more.
    """
    n = z1.shape[0]
    z = nn.functional.normalize(torch.cat([z1, z2]), dim=1)  # (2n, k) unit rows
    logits = z @ z.T / temperature  # (2n, 2n) scaled cosine similarities
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))  # not itself
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)  # (2n,) row i <-> row i + n
    return nn.functional.cross_entropy(logits, partner)
