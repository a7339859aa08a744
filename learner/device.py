"""Resolve the torch device once, at the edge, instead of probing CUDA in every function."""

import torch

from learner.exceptions import LearnerError


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Device "auto" -> cuda if available else cpu; anything else is parsed by torch.device.

    Raises LearnerError for a string torch cannot parse (e.g. "gpu"). A well-formed but absent
    device such as "cuda:3" is accepted here and fails when a tensor is first moved onto it.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise LearnerError(f"Invalid device {device!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'.") from exc
