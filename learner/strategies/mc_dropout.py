"""MC-dropout BALD (Gal, Islam & Ghahramani, "Deep Bayesian Active Learning with Image Data",
ICML 2017): mutual information between the label and the weights, with dropout as the
approximate posterior over the output layer's weights.

The output layer logits = h W^T + b (h the (n, d) embeddings it sees, W (c, d)) was trained
with dropout on h. Each of T stochastic passes draws one dropout mask z_t (d,) (inverted
dropout: kept units scaled by 1 / (1 - rate)): one sample of the weights, W_t = W diag(z_t),
shared by every item, as a posterior sample is. Then
    logits_t = (h * z_t) W^T + b = h (W diag(z_t))^T + b,
so all T passes are one product h @ [W_1^T | ... | W_T^T]: a (d, T c) matrix, one read of the
embeddings instead of T, and no (T, n, d) masked copy. Per block of rows the (b, T, c)
probabilities are reduced to BALD at once, so (T, n, c) is never stored either.
BALD = H(mean_t p_t) - mean_t H(p_t), the committee `bald` over the T passes.
"""

from typing import Any

import numpy as np
import torch

from learner.arrays import as_tensor, like_inputs
from learner.batch.distances import CPU_CHUNK_ROWS, CUDA_CHUNK_ROWS, _native_low_precision
from learner.device import resolve_device
from learner.exceptions import LearnerError
from learner.strategies.committee import _mutual_information

PASSES = 20  # T: the paper's 20 stochastic forward passes
RATE = 0.5  # dropout on the output layer's input, as in the paper's dense layer


def dropout_masks(passes: int, d: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """T inverted-dropout masks (T, d) float32 from `rng`: 0 for a dropped unit, 1 / (1 - rate) for a kept one."""
    if passes < 1:
        raise LearnerError(f"passes must be >= 1, got {passes}.")
    if not 0 <= rate < 1:
        raise LearnerError(f"dropout rate must be in [0, 1), got {rate}.")
    kept = rng.random((passes, d)) >= rate  # (T, d)
    return (kept / (1.0 - rate)).astype(np.float32)


def fused_weights(weight: Any, bias: Any, masks: Any, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The T masked output layers side by side: weights (d, T c) and bias (T c,), float32 on `device`."""
    W = as_tensor(weight, device).float()  # (c, d)
    z = as_tensor(masks, device).float()  # (T, d)
    if W.ndim != 2 or z.ndim != 2 or z.shape[1] != W.shape[1]:
        raise LearnerError(f"weight (c, d) and masks (T, d) disagree: {tuple(W.shape)}, {tuple(z.shape)}.")
    b = torch.zeros(W.shape[0], device=device) if bias is None else as_tensor(bias, device).float()  # (c,)
    stacked = torch.einsum("td,cd->dtc", z, W)  # (d, T, c): W_t^T = diag(z_t) W^T
    return stacked.reshape(W.shape[1], -1), b.repeat(len(z))  # (d, T c), (T c,)


def mc_dropout_probs(
    embeddings: Any, weight: Any, bias: Any, masks: Any, *, device: str | torch.device = "auto"
) -> torch.Tensor:
    """Every pass's class probabilities (T, n, c) float32 on the device: the unfused reference."""
    dev = resolve_device(device)
    h = as_tensor(embeddings, dev).float()  # (n, d)
    W = as_tensor(weight, dev).float()  # (c, d)
    z = as_tensor(masks, dev).float()  # (T, d)
    b = 0 if bias is None else as_tensor(bias, dev).float()
    logits = torch.einsum("nd,td,cd->tnc", h, z, W) + b  # (T, n, c), T separate passes
    return torch.softmax(logits, dim=-1)


def mc_bald(
    embeddings: Any,
    weight: Any,
    bias: Any,
    masks: Any,
    *,
    device: str | torch.device = "auto",
    chunk_rows: int | None = None,
) -> Any:
    """BALD over T dropout passes, fused -> (n,) >= 0, higher = ask first.

    embeddings (n, d) any float dtype (on CUDA fp16/bf16 are multiplied as they are, with the
    fused weights rounded to that dtype and float32 accumulation); weight (c, d) and bias (c,)
    of the output layer; masks (T, d) from `dropout_masks`. A tensor on the device when any
    input is a tensor, else float64 numpy.
    """
    dev = resolve_device(device)
    h = as_tensor(embeddings, dev)
    if h.ndim != 2:
        raise LearnerError(f"embeddings must be (n_samples, n_features), got shape {tuple(h.shape)}.")
    if not h.is_floating_point():
        h = h.float()
    flat, flat_bias = fused_weights(weight, bias, masks, dev)  # (d, T c), (T c,)
    passes, classes = len(masks), flat.shape[1] // len(masks)
    native = h.dtype in (torch.float16, torch.bfloat16) and _native_low_precision(dev, h.dtype)
    product_weights = flat.to(h.dtype) if native else flat
    acc = torch.float64 if h.dtype == torch.float64 else torch.float32
    out = torch.empty(len(h), dtype=acc, device=dev)
    rows = chunk_rows or (CUDA_CHUNK_ROWS if dev.type == "cuda" else CPU_CHUNK_ROWS)
    for start in range(0, len(h), rows):
        block = h[start : start + rows]  # (b, d)
        if native:
            logits = torch.mm(block, product_weights, out_dtype=torch.float32).add_(flat_bias)  # (b, T c)
        else:
            logits = torch.addmm(flat_bias.to(acc), block.to(acc), product_weights.to(acc))  # (b, d) @ (d, T c)
        probs = torch.softmax(logits.view(len(block), passes, classes), dim=-1).transpose(0, 1)  # (T, b, c)
        out[start : start + len(block)] = _mutual_information(probs)
    return like_inputs((embeddings, weight), out)
