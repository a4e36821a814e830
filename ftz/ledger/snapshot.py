"""A columnar copy of the ledger for full runs: Arrow files read at disk speed.

The ledger is append-only (the database refuses to change or delete a movement, a customs item
or an upload), so the rows of the uploads one run sees are still, unchanged, in the database at
the next. A full run keeps them in Arrow IPC files, one record batch per operator and stretch of
rows: the next full run reads from the database only the uploads received since, and each
partition reads its operators' batches from the files instead of decoding millions of rows.

What is copied cannot change unseen. The description of a copy carries a keyed digest of each
file (HMAC with the audit trail's key) and is itself signed: a process checks a file before it
first reads it. The uploads a copy holds are checked at every run against the database (id,
checksum, time received): a database restored or replaced under the copy makes it rebuilt.
"""

import contextlib
import hashlib
import hmac
import io
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, text

from ftz.audit import keys
from ftz.config import get_settings

TABLES = ("movement", "customs_entry")
_DESCRIPTION = "snapshot.json"
_DRAFT_AGE = 3600  # seconds a draft is left alone before it counts as a killed writer's
_verified: set[tuple] = set()  # files this process checked (path, size, modification time)


@dataclass(frozen=True)
class Snapshot:
    """A copy's files and what they hold: plain data, it travels to a run's workers."""

    folder: str
    name: str  # the stem of its files
    uploads: frozenset[int]
    batches: dict[str, dict[int, list[int]]]  # per table, per operator: its record batches
    digests: dict[str, str]  # per table: the keyed digest of its file
    # per table, per operator: how many rows it holds (none known in a copy written before they were kept)
    rows: dict[str, dict[int, int]] | None = None
    # the pairs of operators its rows tie in a finding (none known if not given when it was written)
    ties: frozenset[tuple[int, int]] | None = None
    key_id: str = ""  # the audit key its digests are made with (a process without it reads the database)

    def path(self, table: str) -> Path:
        """The Arrow file holding ``table``'s rows."""
        return Path(self.folder) / f"{self.name}.{table}.arrow"


def folder(engine: Engine) -> Path:
    """Where copies of ``engine``'s ledger are kept: a folder per database, in the data folder."""
    url = engine.url.render_as_string(hide_password=True)
    return get_settings().data_dir.resolve() / "snapshot" / hashlib.sha256(url.encode()).hexdigest()[:16]


def fingerprints(engine: Engine, uploads: dict) -> dict[int, str]:
    """The accepted uploads of a run's marker (highest id and gaps), each as id, checksum and
    time received: what a copy's uploads must still be in the database."""
    query = f"SELECT id, sha256, received_at FROM upload WHERE outcome = 'ACCEPTED' AND id <= {int(uploads['max'])}"
    gaps = set(uploads["gaps"])
    with engine.connect() as conn:
        rows = conn.execute(text(query)).all()
    return {int(i): f"{sha}|{received}" for i, sha, received in rows if i not in gaps}


def load(engine: Engine, wanted: dict[int, str]) -> Snapshot | None:
    """The copy kept for ``engine`` if its description is genuine and each upload it holds is,
    unchanged, among the ``wanted`` ones (``fingerprints``); None otherwise."""
    path = folder(engine) / _DESCRIPTION
    try:
        described = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    body = json.dumps(described.get("body"), sort_keys=True).encode()
    key = keys.keyring().get(described.get("key_id", ""))
    if key is None or not hmac.compare_digest(keys.sign(key, body), described.get("signature", "")):
        return None
    held = described["body"]["uploads"]
    if any(wanted.get(int(i)) != fingerprint for i, fingerprint in held.items()):
        return None
    return _snapshot(path.parent, described["body"], described["key_id"])


def intact(snapshot: Snapshot) -> bool:
    """Whether every file of the copy is here and as it was written (checked once per process)."""
    try:
        return all(_checked(snapshot, table) for table in TABLES)
    except FileNotFoundError:
        return False


def rows(snapshot: Snapshot, table: str, operators: Iterable[int]) -> pa.Table | None:
    """``table``'s rows of ``operators`` in the copy, or None where this process cannot read it:
    its file is not here, or the key its digest is made with is not this process's (a worker
    on another machine, or started without the coordinator's audit key, reads the database).
    A file that fails its digest is an error."""
    path = snapshot.path(table)
    if keys.keyring().get(snapshot.key_id) is None:
        return None
    try:
        if not _checked(snapshot, table):
            raise RuntimeError(f"the ledger's copy {path.name} differs from what was written: a full run "
                               "on the coordinator makes a new one")  # fmt: skip
    except FileNotFoundError:
        return None
    # not closed here: the batches read point into the mapping, which lives as long as they do
    reader = pa.ipc.open_file(pa.memory_map(str(path)))
    batches = [reader.get_batch(i) for o in operators for i in snapshot.batches[table].get(int(o), [])]
    return pa.Table.from_batches(batches, schema=reader.schema)


def write(
    engine: Engine, wanted: dict[int, str], parts: Iterable[dict[str, pa.Table]], *, ties: set | None = None
) -> Snapshot:
    """A new copy holding the ``wanted`` uploads, from ``parts`` (each: per table, the rows of
    some operators, no operator in two parts) and the operator ``ties`` they make, then described
    and signed. Files are written under temporary names and renamed; the description comes last:
    a crash leaves the old copy."""
    where = folder(engine)
    where.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(json.dumps(sorted(wanted.items())).encode()).hexdigest()[:16]
    key_id, key = keys.current()
    writers: dict[str, tuple] = {}
    batches: dict[str, dict[int, list[int]]] = {t: {} for t in TABLES}
    counted: dict[str, dict[int, int]] = {t: {} for t in TABLES}
    try:
        for part in parts:
            for table, rows_ in part.items():
                if table not in writers:
                    sink = _Signing(where / f".{name}.{table}.arrow.part", key)
                    writers[table] = (sink, pa.ipc.new_file(pa.PythonFile(sink, mode="w"), rows_.schema), rows_.schema)
                sink, writer, schema = writers[table]
                _append(writer, rows_.cast(schema), batches[table], counted[table])
        digests = {}
        for table, (sink, writer, _) in writers.items():
            writer.close()
            digests[table] = sink.finish(where / f"{name}.{table}.arrow")
    finally:
        for sink, _, _ in writers.values():
            sink.discard()
    body = {
        "name": name,
        "uploads": {str(i): f for i, f in sorted(wanted.items())},
        "batches": {t: {str(o): b for o, b in per.items()} for t, per in batches.items()},
        "digests": digests,
        "rows": {t: {str(o): n for o, n in per.items()} for t, per in counted.items()},
    }
    if ties is not None:
        body["ties"] = sorted([int(a), int(b)] for a, b in ties)
    described = {"body": body, "key_id": key_id, "signature": keys.sign(key, json.dumps(body, sort_keys=True).encode())}
    draft = where / f".{_DESCRIPTION}.part"
    draft.write_text(json.dumps(described))
    os.replace(draft, where / _DESCRIPTION)
    _tidy(where, keep={f"{name}.{t}.arrow" for t in TABLES} | {_DESCRIPTION})
    for table in digests:
        _verified.add(_identity(where / f"{name}.{table}.arrow"))
    return _snapshot(where, body, key_id)


def _append(
    writer: pa.ipc.RecordBatchFileWriter, table: pa.Table, batches: dict[int, list[int]], counted: dict[int, int]
) -> None:
    """``table``'s rows, sorted by operator and id, written one batch per operator (each
    operator's batches and rows noted in ``batches`` and ``counted``)."""
    if table.num_rows == 0:
        return
    table = table.sort_by([("operator_id", "ascending"), ("id", "ascending")]).combine_chunks()
    runs = pc.run_end_encode(table["operator_id"]).chunk(0)
    start = 0
    for operator, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
        counted[int(operator)] = counted.get(int(operator), 0) + end - start
        for batch in table.slice(start, end - start).to_batches():
            batches.setdefault(int(operator), []).append(writer.stats.num_record_batches)
            writer.write_batch(batch)
        start = end


def _checked(snapshot: Snapshot, table: str) -> bool:
    """Whether ``table``'s file matches its digest: read whole once per process and file."""
    path = snapshot.path(table)
    seen = _identity(path)
    if seen in _verified:
        return True
    if not hmac.compare_digest(_digest(path, keys.keyring()[snapshot.key_id]), snapshot.digests.get(table, "")):
        return False
    _verified.add(seen)
    return True


def _identity(path: Path) -> tuple:
    """What changes whenever a file is written to or replaced: its inode, size, and the time its
    inode last changed (which, unlike the modification time, cannot be set back by hand)."""
    stat = path.stat()
    return str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


def _snapshot(where: Path, body: dict, key_id: str) -> Snapshot:
    return Snapshot(
        folder=str(where),
        name=body["name"],
        uploads=frozenset(int(i) for i in body["uploads"]),
        batches={t: {int(o): b for o, b in per.items()} for t, per in body["batches"].items()},
        digests=body["digests"],
        rows={t: {int(o): n for o, n in per.items()} for t, per in body["rows"].items()} if "rows" in body else None,
        ties=frozenset((a, b) for a, b in body["ties"]) if "ties" in body else None,
        key_id=key_id,
    )


def _digest(path: Path, key: bytes) -> str:
    """The keyed digest of a file, read a megabyte at a time."""
    mac = _mac(key)
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            mac.update(chunk)
    return mac.hexdigest()


def _mac(key: bytes):
    """A keyed digest (HMAC-SHA256 with an audit trail's key) to feed a file's bytes to."""
    return hmac.new(key, digestmod=hashlib.sha256)


def _tidy(where: Path, keep: set[str]) -> None:
    """Older copies' files removed (a reader holding one open keeps reading it), and drafts a
    killed writer left (untouched for an hour: another process may be writing one now)."""
    stale = time.time() - _DRAFT_AGE
    for path in where.iterdir():
        if path.name.startswith("."):
            with contextlib.suppress(FileNotFoundError):
                if path.name.endswith(".part") and path.stat().st_mtime < stale:
                    path.unlink()
        elif path.name not in keep:
            path.unlink(missing_ok=True)


class _Signing(io.RawIOBase):
    """A file being written and its keyed digest, computed as the bytes go by."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.draft = path
        self.file = path.open("wb")
        self.mac = _mac(key)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.mac.update(data)
        return self.file.write(data)

    def finish(self, path: Path) -> str:
        """Flushed to disk and renamed into place; its digest."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.draft, path)
        return self.mac.hexdigest()

    def discard(self) -> None:
        """A draft never finished removed (a run stopped midway)."""
        if not self.file.closed:
            self.file.close()
        self.draft.unlink(missing_ok=True)
