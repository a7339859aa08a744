import numpy as np
import pytest
import torch
from PIL import Image

from learner.encoders import load_encoder
from learner.exceptions import LearnerError
from learner.finetune import LastBlockNet, LastBlockTail, load_prefix_encoder


@pytest.fixture(scope="module")
def images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)) for _ in range(6)]


def test_prefix_then_pretrained_tail_gives_the_frozen_embedding(images: list[Image.Image]) -> None:
    prefix = load_prefix_encoder("efficientnet-lite0-112", "cpu")
    maps = prefix.encode(images)
    assert prefix.map_shape == (192, 3, 3)
    assert maps.shape == (6, 192 * 3 * 3) and maps.dtype == np.float32

    net = LastBlockNet(LastBlockTail.pretrained().eval(), maps.shape[1], 2)
    with torch.no_grad():
        pooled = net.pooled(torch.from_numpy(maps)).numpy()  # (6, 1280)

    expected = load_encoder("efficientnet-lite0-112", "cpu").encode(images)
    np.testing.assert_allclose(pooled, expected, rtol=0, atol=1e-5)


def test_empty_batch_gives_no_rows() -> None:
    assert load_prefix_encoder("efficientnet-lite0-112", "cpu").encode([]).shape == (0, 1728)


def test_text_encoders_have_no_last_block_to_tune() -> None:
    with pytest.raises(LearnerError, match="'minilm-l6' cannot fine-tune"):
        load_prefix_encoder("minilm-l6", "cpu")


def test_batchnorm_keeps_its_running_statistics_while_training() -> None:
    tail = LastBlockTail.pretrained().train()
    assert tail.block.training and not tail.bn.training and not tail.block._bn0.training
    before = tail.bn.running_mean.clone()
    tail(torch.randn(4, 192, 3, 3))
    assert torch.equal(tail.bn.running_mean, before)
