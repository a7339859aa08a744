import pytest
import torch

from learner.device import resolve_device
from learner.exceptions import LearnerError


def test_auto_picks_cuda_only_when_available() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device().type == expected


def test_explicit_device_is_passed_through() -> None:
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", ""])
def test_invalid_device_raises_learner_error(bad: str) -> None:
    with pytest.raises(LearnerError, match="Invalid device"):
        resolve_device(bad)
