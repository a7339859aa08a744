"""Expected model change: ask about the items whose label would move the model most.

Expected gradient length (Settles, Craven & Ray, 2008) for a softmax output layer with weights
W (c, d) and bias b, on the features h the layer sees. If x had label y, the cross-entropy
gradient is (p - e_y) h^T for W and (p - e_y) for b, so its norm factorises:
    ||grad_y|| = ||p - e_y|| * sqrt(||h||^2 + 1),   ||p - e_y||^2 = ||p||^2 - 2 p_y + 1.
The expectation over the model's own belief y ~ p is then
    EGL(x) = sqrt(||h||^2 + 1) * sum_y p_y ||p - e_y||,
one pass over the (n, c) and the (n, d) matrix; no per-class gradient is ever formed.
"""

from typing import Any

import torch

from learner.arrays import as_tensor, like_inputs
from learner.exceptions import LearnerError
from learner.strategies.uncertainty import probs_tensor


def expected_gradient_length(probs: Any, embeddings: Any, *, device: str | torch.device = "auto") -> Any:
    """E_{y~p} ||d loss / d (W, b)|| per item -> (n,); probs (n, c), embeddings (n, d) as the head sees them."""
    p = probs_tensor(probs, device)
    h = as_tensor(embeddings, p.device)  # its own dtype: an fp16 pool is not copied to float32
    if h.ndim != 2 or len(h) != len(p):
        raise LearnerError(f"embeddings must be (n_samples, n_features) with n = {len(p)}, got {tuple(h.shape)}.")
    p_sq = p.square().sum(dim=1, keepdim=True)  # (n, 1)
    residual = (p_sq - 2 * p + 1).clamp_min_(0).sqrt_()  # (n, c): ||p - e_y|| for every y
    expected = (p * residual).sum(dim=1)  # (n,)
    if not h.is_floating_point():
        h = h.to(p.dtype)
    h_sq = torch.linalg.vector_norm(h, dim=1, dtype=p.dtype).square()  # (n,) accumulated in p's dtype
    h_norm = (h_sq + 1).sqrt_()  # (n,) the bias is a weight on a constant input 1
    return like_inputs((probs, embeddings), expected * h_norm)
