from typing import Any

import numpy as np
import pytest
import torch

import learner.resident
from learner.exceptions import LearnerError
from learner.resident import PoolKey, ResidentPools

CPU = torch.device("cpu")
MB = 2**20


class Loader:
    """Counts loads; each returns a fresh (rows, 256) float32 array of `rows` x 1 KB."""

    def __init__(self, rows: int = 1024, value: float = 1.0) -> None:
        self.rows, self.value, self.calls = rows, value, 0

    def __call__(self) -> np.ndarray:
        self.calls += 1
        return np.full((self.rows, 256), self.value, dtype=np.float32)  # rows KB


def test_the_same_key_and_generation_is_served_from_the_device_without_loading() -> None:
    pools, load = ResidentPools(), Loader()
    first = pools.get(PoolKey("p1", 1), load, CPU)
    again = pools.get(PoolKey("p1", 1), load, CPU)
    assert isinstance(first, torch.Tensor) and again is first
    assert load.calls == 1 and (pools.hits, pools.misses) == (1, 1)


def test_a_new_generation_drops_the_old_set_and_loads_the_new_one() -> None:
    pools = ResidentPools()
    old, new = Loader(value=1.0), Loader(value=2.0)
    pools.get(PoolKey("p1", 1), old, CPU)
    got = pools.get(PoolKey("p1", 2), new, CPU)
    assert new.calls == 1 and float(got[0, 0]) == 2.0
    assert PoolKey("p1", 2) in pools and PoolKey("p1", 1) not in pools and len(pools) == 1


def test_least_recently_used_sets_go_first_past_max_bytes() -> None:
    pools = ResidentPools(max_bytes=2 * MB)  # two 1 MB sets fit, not three
    a, b, c = Loader(), Loader(), Loader()
    pools.get(PoolKey("a", 0), a, CPU)
    pools.get(PoolKey("b", 0), b, CPU)
    pools.get(PoolKey("a", 0), a, CPU)  # a is now the most recent
    pools.get(PoolKey("c", 0), c, CPU)
    assert PoolKey("b", 0) not in pools and PoolKey("a", 0) in pools and PoolKey("c", 0) in pools
    assert pools.resident_bytes == 2 * MB


def test_a_set_larger_than_the_budget_is_moved_for_this_round_but_not_kept() -> None:
    pools, load = ResidentPools(max_bytes=MB // 2), Loader()
    got = pools.get(PoolKey("big", 0), load, CPU)
    assert isinstance(got, torch.Tensor) and got.shape == (1024, 256)
    assert len(pools) == 0
    pools.get(PoolKey("big", 0), load, CPU)
    assert load.calls == 2


def test_memory_pressure_evicts_and_then_declines_to_keep() -> None:
    free = {"bytes": 10 * MB}
    pools = ResidentPools(reserve_fraction=0.5, free_bytes=lambda d: free["bytes"], total_bytes=lambda d: 10 * MB)
    pools.get(PoolKey("a", 0), Loader(), CPU)  # 10 - 1 >= 5: kept
    free["bytes"] = 9 * MB  # the kept set is using its MB
    pools.get(PoolKey("b", 0), Loader(), CPU)  # 9 - 1 >= 5: kept
    free["bytes"] = 5 * MB  # training grew: the next set would cut into the reserve
    pools.get(PoolKey("c", 0), Loader(), CPU)
    assert len(pools) == 0  # every set was evicted and c declined (the fake free memory never grows)


def test_out_of_memory_while_moving_drops_everything_and_returns_the_host_array(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pools = ResidentPools()
    pools.get(PoolKey("a", 0), Loader(), CPU)

    def no_room(array: Any, device: torch.device, dtype: Any = None) -> Any:
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(learner.resident, "as_tensor", no_room)
    got = pools.get(PoolKey("b", 0), Loader(), CPU)
    assert isinstance(got, np.ndarray) and len(pools) == 0


def test_bad_settings_raise() -> None:
    with pytest.raises(LearnerError, match="reserve_fraction"):
        ResidentPools(reserve_fraction=1.0)
