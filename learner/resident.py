"""Pool embeddings kept on the device between rounds, so a round does not re-upload its pool.

A GPU worker retrains the same project round after round on the same pool embeddings; moving
a 1M x 512 float32 pool to the device costs more than scoring it. `ResidentPools` keeps a few
pools there, each under a `PoolKey`: the embedding set's name and its generation (anything
that changes whenever the set does: an import, a new encoder, an adaptation). A key whose
generation moved on is dropped at once, never served. Entries go, least recently used first,
when their bytes pass `max_bytes` or the device's free memory would fall below
`reserve_fraction` of its total; on a CUDA out-of-memory error every entry is dropped and the
caller gets its host array back, so a round is slower, never failed, for want of memory.

One `RESIDENT_POOLS` serves a worker process (a `gpu` queue worker runs one retrain at a time);
nothing here is thread-safe.
"""

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from learner.arrays import as_tensor
from learner.exceptions import LearnerError

MAX_BYTES = 16 * 2**30  # a 1M x 1280 float32 pool is 5 GB: room for a few projects on an 80 GB card
RESERVE_FRACTION = 0.25  # leave this share of device memory free for training and scoring


@dataclass(frozen=True)
class PoolKey:
    name: str  # which embedding set, e.g. "project-12/efficientnet-lite0"
    generation: int | str  # changes whenever the set's content does


@dataclass
class _Entry:
    generation: int | str
    device: torch.device
    tensor: torch.Tensor
    nbytes: int


def cuda_free_bytes(device: torch.device) -> int | None:
    """Free bytes on a CUDA device (torch.cuda.mem_get_info), None for other devices."""
    return int(torch.cuda.mem_get_info(device)[0]) if device.type == "cuda" else None


def cuda_total_bytes(device: torch.device) -> int | None:
    return int(torch.cuda.mem_get_info(device)[1]) if device.type == "cuda" else None


class ResidentPools:
    """A small LRU of pool arrays on their device, keyed by PoolKey."""

    def __init__(
        self,
        *,
        max_bytes: int = MAX_BYTES,
        reserve_fraction: float = RESERVE_FRACTION,
        free_bytes: Callable[[torch.device], int | None] = cuda_free_bytes,
        total_bytes: Callable[[torch.device], int | None] = cuda_total_bytes,
    ) -> None:
        if max_bytes < 0 or not 0 <= reserve_fraction < 1:
            raise LearnerError(
                f"Need max_bytes >= 0 and 0 <= reserve_fraction < 1, got {max_bytes} and {reserve_fraction}."
            )
        self.max_bytes, self.reserve_fraction = max_bytes, reserve_fraction
        self._free_bytes, self._total_bytes = free_bytes, total_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: PoolKey, load: Callable[[], Any], device: torch.device) -> Any:
        """The pool (n, d) as a tensor on `device`: the resident one when `key` (name and
        generation) and device match, else `load()` moved there and kept if memory allows.
        Where it cannot be moved (out of memory) the host array from `load()` comes back."""
        entry = self._entries.get(key.name)
        if entry is not None and entry.generation == key.generation and entry.device == device:
            self._entries.move_to_end(key.name)
            self.hits += 1
            return entry.tensor
        self.misses += 1
        self.drop(key.name)  # another generation or device: stale, whatever happens next
        host = load()
        nbytes = _nbytes(host)
        self._make_room(nbytes, device)
        keep = self._fits(nbytes, device)  # measured before the move allocates it
        try:
            tensor = as_tensor(host, device)
        except torch.OutOfMemoryError:
            self.clear()
            return host
        if keep:
            self._entries[key.name] = _Entry(key.generation, device, tensor, nbytes)
        return tensor

    def drop(self, name: str) -> None:
        """Forget the pool called `name`, if held."""
        self._entries.pop(name, None)

    def clear(self) -> None:
        """Forget every pool and hand the memory back to the device (after CUDA OOM, or to free it)."""
        self._entries.clear()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    @property
    def resident_bytes(self) -> int:
        return sum(entry.nbytes for entry in self._entries.values())

    def __contains__(self, key: PoolKey) -> bool:
        entry = self._entries.get(key.name)
        return entry is not None and entry.generation == key.generation

    def __len__(self) -> int:
        return len(self._entries)

    def _fits(self, nbytes: int, device: torch.device) -> bool:
        """Whether `nbytes` more stay within max_bytes and leave the device's reserve free."""
        if self.resident_bytes + nbytes > self.max_bytes:
            return False
        free, total = self._free_bytes(device), self._total_bytes(device)
        return free is None or total is None or free - nbytes >= self.reserve_fraction * total

    def _make_room(self, nbytes: int, device: torch.device) -> None:
        """Evict least recently used pools until `nbytes` fit, or none is left."""
        while self._entries and not self._fits(nbytes, device):
            self._entries.popitem(last=False)
            if device.type == "cuda":
                torch.cuda.empty_cache()  # let mem_get_info see the freed blocks


def _nbytes(array: Any) -> int:
    if isinstance(array, torch.Tensor):
        return array.numel() * array.element_size()
    return int(getattr(array, "nbytes", 0))


RESIDENT_POOLS = ResidentPools()
