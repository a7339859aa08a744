"""Accept numpy or torch input everywhere; compute in torch on the chosen device.

A function given numpy arrays answers in numpy (float64 for scores), so it reads like any
scientific-Python function; given torch tensors it answers with a tensor on the device, so a
GPU pipeline never bounces through host memory.
"""

from typing import Any

import numpy as np
import torch

from learner.exceptions import LearnerError


def as_tensor(array: Any, device: torch.device, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A torch view of `array` on `device` (no copy when it is already there with that dtype)."""
    tensor = array if isinstance(array, torch.Tensor) else torch.as_tensor(np.asarray(array))
    return tensor.to(device=device, dtype=dtype or tensor.dtype)


def as_float_tensor(array: Any, device: torch.device, name: str, ndim: int) -> torch.Tensor:
    """`array` on `device` as float32 (float64 stays float64; fp16/bf16 are upcast), checked to be `ndim`-D."""
    tensor = as_tensor(array, device)
    if tensor.ndim != ndim:
        raise LearnerError(f"{name} must be {ndim}-D, got shape {tuple(tensor.shape)}.")
    return tensor if tensor.dtype == torch.float64 else tensor.to(torch.float32)


def like_input(original: Any, result: torch.Tensor) -> Any:
    """`result` as float64 numpy when `original` was not a tensor, else as the tensor itself."""
    if isinstance(original, torch.Tensor):
        return result
    return result.detach().cpu().numpy().astype(np.float64, copy=False)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy()
