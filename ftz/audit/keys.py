"""The audit trail's key: the secret each link is an HMAC with, and the keys it replaced."""

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path

from ftz.config import get_settings

KEY_FILE = "audit_key"


def current() -> tuple[str, bytes]:
    """The key new events are signed with, as (key id, key): FTZ_AUDIT_KEY, else one kept in the data folder."""
    settings = get_settings()
    return _entry(settings.audit_key or _kept_key(settings.data_dir.resolve()))


def keyring() -> dict[str, bytes]:
    """Every key an event may have been signed with, by key id: the current one and FTZ_AUDIT_KEYS."""
    settings = get_settings()
    ring = dict(_entry(old) for old in settings.audit_keys)
    ring.update([current()])
    return ring


def sign(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message``, in hex."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_signature(key: bytes, seq: int, link: str) -> str:
    """The signature of the chain's head (its last event's number and hash): without the key,
    no one can move the head back after cutting events off the end."""
    return sign(key, f"ftz audit head {seq} {link}".encode())


def _entry(secret: str) -> tuple[str, bytes]:
    key = secret.encode()
    # The id is itself keyed: it names the key without helping anyone guess it.
    return sign(key, b"ftz audit key id")[:16], key


@lru_cache
def _kept_key(data_dir: Path) -> str:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole to a file of its own, readable by the service's account alone, then
        # linked into place: two processes starting together agree on one key, and none reads
        # a key half-written.
        fd, draft = tempfile.mkstemp(dir=data_dir, prefix=".audit_key.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return path.read_text().strip()
