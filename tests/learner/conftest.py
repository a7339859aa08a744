"""Fixtures for learner tests.

`tensors_stay_on_device` makes a CPU run behave like a GPU run for one class of bug: on CUDA,
`tensor.numpy()` and `np.asarray(tensor)` raise, while on a CPU they quietly work, so a round
that bounces a device tensor through numpy passes CI and crashes on the first GPU worker. Under
this fixture every tensor-to-numpy conversion raises, except the one named helper the learner
uses at its edge, `learner.arrays.to_numpy`, where a caller asked for numpy on purpose.
"""

import sys
from collections.abc import Iterator
from typing import Any

import pytest
import torch

import learner.arrays


class HostConversionError(AssertionError):
    """A tensor was turned into numpy outside learner.arrays.to_numpy."""


@pytest.fixture
def tensors_stay_on_device(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_numpy = torch.Tensor.numpy
    allowed = learner.arrays.to_numpy.__code__

    def guarded_numpy(self: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_code
        if caller is not allowed:
            raise HostConversionError(
                f"tensor.numpy() on a {tuple(self.shape)} tensor in {caller.co_filename}:{caller.co_name}; "
                "on CUDA this raises. Keep it a tensor, or convert at the edge with learner.arrays.to_numpy."
            )
        return real_numpy(self, *args, **kwargs)

    def guarded_array(self: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_code
        raise HostConversionError(
            f"np.asarray() of a {tuple(self.shape)} tensor (called from {caller.co_filename}:{caller.co_name}); "
            "on CUDA this raises. Convert at entry with learner.arrays.as_tensor instead."
        )

    monkeypatch.setattr(torch.Tensor, "numpy", guarded_numpy)
    monkeypatch.setattr(torch.Tensor, "__array__", guarded_array)
    yield
