"""A zip written as it is read: entries go out as their bytes arrive, so memory stays flat.

zipfile writes to an unseekable stream by putting each entry's sizes in a data descriptor after
its data; the stream below hands the bytes written so far to the caller between entries.
"""

import time
import zipfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO

CHUNK = 1 << 16
TEXT_SUFFIXES = (".json", ".jsonl", ".csv", ".txt")  # deflated; images are compressed already, so stored


class _Drain:
    """A write-only, unseekable file: what zipfile writes piles up until `take` empties it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written  # zipfile asks for offsets; a position without seeking is enough

    def flush(self) -> None:
        pass

    @property
    def pending(self) -> int:
        return len(self._parts)

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def _chunks(content: Iterable[bytes] | BinaryIO) -> Iterator[bytes]:
    if isinstance(content, Iterable) and not hasattr(content, "read"):
        yield from content
        return
    while chunk := content.read(CHUNK):  # type: ignore[union-attr]
        yield chunk


def zip_stream(entries: Iterable[tuple[str, Iterable[bytes] | BinaryIO]]) -> Iterator[bytes]:
    """Zip bytes for (name in the archive, its content as byte chunks or a binary file)."""
    drain = _Drain()
    with zipfile.ZipFile(drain, mode="w") as archive:  # type: ignore[arg-type]
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED if name.endswith(TEXT_SUFFIXES) else zipfile.ZIP_STORED
            with archive.open(info, mode="w") as entry:
                for chunk in _chunks(content):
                    entry.write(chunk)
                    if drain.pending > 16:
                        yield drain.take()
            yield drain.take()
    yield drain.take()
