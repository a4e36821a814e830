"""Raw files kept exactly as received, named by their sha256 (content-addressed)."""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ftz.errors import InvalidInput, TooLarge


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int
    path: Path


# Documents sent with an examination's result or an operator's answer, told by their first
# bytes rather than by the type the sender claims: a program renamed .pdf is refused.
DOCUMENT_TYPES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def document_type(source: BinaryIO, name: str) -> str:
    """The media type of a document (PDF, JPEG or PNG) by its first bytes; refuse any other."""
    head = source.read(8)
    source.seek(0)
    for magic, kind in DOCUMENT_TYPES.items():
        if head.startswith(magic):
            return kind
    raise InvalidInput(f"attachment: {Path(name).name or 'the file'} is not accepted: only a PDF, JPEG or PNG is")


def blob_path(root: Path, sha256: str) -> Path:
    """Where the file with this digest is kept."""
    return root / "uploads" / sha256[:2] / sha256


def store(source: BinaryIO, root: Path, max_bytes: int) -> Blob:
    """Copy a stream into the store, hashing it on the way; refuse it past ``max_bytes``."""
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    # Written under a temporary name and renamed: a crash never leaves a partial file
    # under a digest's name.
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as tmp:
            while block := source.read(1 << 20):
                size += len(block)
                if size > max_bytes:
                    raise TooLarge(f"the file is larger than the {max_bytes:,} bytes allowed")
                digest.update(block)
                tmp.write(block)
            tmp.flush()
            os.fsync(tmp.fileno())
        final = blob_path(root, digest.hexdigest())
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, final)
        _fsync_dir(final.parent)  # the rename itself must survive a power cut
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return Blob(digest.hexdigest(), size, final)


def store_file(path: Path, root: Path, max_bytes: int) -> Blob:
    """Store a file from disk (the CLI's case)."""
    try:
        with path.open("rb") as source:
            return store(source, root, max_bytes)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc.strerror.lower()}") from None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
