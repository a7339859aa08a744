"""Peak resident memory of a block of code, sampled from /proc (covers numpy and torch)."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_PAGE = 4096


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * _PAGE


@dataclass
class Peak:
    extra_bytes: int = 0  # highest RSS seen during the block, minus RSS before it


@contextmanager
def peak_rss(interval: float = 0.002) -> Iterator[Peak]:
    baseline, peak, done = rss_bytes(), Peak(), threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.extra_bytes = max(peak.extra_bytes, rss_bytes() - baseline)
            time.sleep(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()
        peak.extra_bytes = max(peak.extra_bytes, rss_bytes() - baseline)
