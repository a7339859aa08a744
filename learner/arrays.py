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
    return like_inputs((original,), result)


def like_inputs(originals: tuple[Any, ...], result: torch.Tensor) -> Any:
    """`result` itself when any of `originals` is a tensor (mixed inputs mean a device round: the
    answer stays on the device), else as float64 numpy."""
    if any(isinstance(original, torch.Tensor) for original in originals):
        return result
    return to_numpy(result).astype(np.float64, copy=False)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """The learner's one door from tensors to numpy: a copy on the host when the caller asks for one.

    Every deliberate conversion goes through here, so a test can make all others raise
    (tests/learner/conftest.py, `tensors_stay_on_device`) and catch, on a CPU, the
    conversions that would fail or stall on a GPU.
    """
    return tensor.detach().cpu().numpy()
