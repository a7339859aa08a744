"""Uploaded files to a folder the readers know, refusing what could hurt the server.

Images arrive as several files or as one zip (a flat zip, or one folder per class); texts as one
CSV or JSONL file. Everything is written under a fresh temporary folder that the caller removes.
A zip is checked before anything is extracted: no absolute path, no `..`, no link, a bounded
number of members, a bounded unpacked size and compression ratio (zip bombs). Pillow's
decompression-bomb guard then checks each image when the import service opens it.
"""

import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from labeling.exceptions import InvalidImportError

MAX_MEMBERS = 100_000
MAX_RATIO = 200  # unpacked / packed size of one zip member; text and PNG rarely pass 20
TEXT_SUFFIXES = (".csv", ".jsonl", ".json")  # .json: Label Studio tasks


def _limit() -> int:
    return int(settings.TWEEZER_MAX_UPLOAD_BYTES)


def _check_size(upload: UploadedFile) -> None:
    if upload.size is not None and upload.size > _limit():
        raise InvalidImportError(
            f"{upload.name} is {upload.size:,} bytes; uploads are limited to {_limit():,} bytes.",
            {"file": upload.name, "limit": _limit()},
        )


def _safe_member(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's path inside the target folder; None for a folder entry. Refuses escapes and links."""
    path = PurePosixPath(info.filename)
    if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
        raise InvalidImportError(f"The zip entry {info.filename!r} points outside the upload; nothing was imported.",
                                 {"entry": info.filename})  # fmt: skip
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InvalidImportError(f"The zip entry {info.filename!r} is a link; nothing was imported.",
                                 {"entry": info.filename})  # fmt: skip
    if info.is_dir() or path.name.startswith(".") or "__MACOSX" in path.parts:
        return None
    return path


def _extract_zip(upload: UploadedFile, target: Path) -> None:
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile as exc:
        raise InvalidImportError(f"{upload.name} is not a readable zip file.", {"file": upload.name}) from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise InvalidImportError(f"{upload.name} holds {len(members):,} entries; at most {MAX_MEMBERS:,}.")
        unpacked = sum(info.file_size for info in members)
        if unpacked > _limit():
            raise InvalidImportError(f"{upload.name} unpacks to {unpacked:,} bytes; at most {_limit():,}.",
                                     {"file": upload.name, "limit": _limit()})  # fmt: skip
        for info in members:
            if info.file_size > MAX_RATIO * max(info.compress_size, 1):
                ratio = info.file_size // max(info.compress_size, 1)
                raise InvalidImportError(f"The zip entry {info.filename!r} unpacks to {ratio}x its packed size "
                                         "(a zip bomb?); nothing was imported.", {"entry": info.filename})  # fmt: skip
        for info in members:
            path = _safe_member(info)
            if path is None:
                continue
            destination = target.joinpath(*path.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, destination.open("wb") as out:
                shutil.copyfileobj(source, out)


@contextmanager
def images_folder(uploads: Sequence[UploadedFile]) -> Iterator[Path]:
    """A folder holding the uploaded images: one zip unpacked, or the files side by side."""
    if not uploads:
        raise InvalidImportError("No file was uploaded.")
    for upload in uploads:
        _check_size(upload)
    with tempfile.TemporaryDirectory(prefix="tweezer-upload-") as folder:
        target = Path(folder)
        if len(uploads) == 1 and (uploads[0].name or "").lower().endswith(".zip"):
            _extract_zip(uploads[0], target)
        else:
            for upload in uploads:
                name = PurePosixPath((upload.name or "").replace("\\", "/")).name
                if not name or name.startswith("."):
                    raise InvalidImportError(f"The upload {upload.name!r} has no usable file name.")
                with (target / name).open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
        # A zip of one top folder (what most tools make) has that folder's layout: flat, or a folder per class.
        entries = list(target.iterdir())
        yield entries[0] if len(entries) == 1 and entries[0].is_dir() else target


@contextmanager
def text_file(upload: UploadedFile) -> Iterator[Path]:
    """The uploaded CSV or JSONL file on disk, under its own suffix."""
    _check_size(upload)
    suffix = PurePosixPath(upload.name or "").suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        raise InvalidImportError(f"{upload.name}: expected a .csv, .jsonl or Label Studio .json file.",
                                 {"file": upload.name})  # fmt: skip
    stem = PurePosixPath((upload.name or "").replace("\\", "/")).stem.lstrip(".") or "upload"
    with tempfile.TemporaryDirectory(prefix="tweezer-upload-") as folder:
        path = Path(folder) / f"{stem[:100]}{suffix}"  # the user's own file name, for the error messages
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield path
