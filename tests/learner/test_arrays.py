import numpy as np
import pytest
import torch

from learner.arrays import like_inputs, to_numpy
from tests.learner.conftest import HostConversionError


def test_the_fixture_refuses_every_way_to_numpy_but_the_learners_edge(tensors_stay_on_device: None) -> None:
    tensor = torch.arange(3.0)
    with pytest.raises(HostConversionError, match=r"np\.asarray"):
        np.asarray(tensor)
    with pytest.raises(HostConversionError, match=r"tensor\.numpy\(\)"):
        tensor.numpy()
    with pytest.raises(HostConversionError):
        np.zeros(3) * tensor.numpy()
    np.testing.assert_array_equal(to_numpy(tensor), [0.0, 1.0, 2.0])  # the one allowed door


def test_mixed_inputs_answer_with_the_tensor() -> None:
    result = torch.ones(2)
    assert like_inputs((np.zeros(2), torch.zeros(2)), result) is result
    host = like_inputs((np.zeros(2), [0, 1]), result)
    assert isinstance(host, np.ndarray) and host.dtype == np.float64
