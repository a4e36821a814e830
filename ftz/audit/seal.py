"""Seals: the digest of every stored ledger row, recorded in the audit event of the act that
stored it, so that a row changed, removed or added behind ftz's back is found and named.

A row's canonical text is its columns (those of the seal's version, in that order) in an
encoding that keeps each value apart from its neighbours, made by one function of the
database: SQLite's ``json_array(…)``, PostgreSQL's row literal ``ROW(…)::text`` (times in UTC,
whatever the session's time zone). A seal is checked on the database that wrote it. An
upload's seal holds the sha256 of its own row, of all its stored rows (in id order) and, to
name the row that changed, the rows' ids and a short digest per block of rows (one row per
block up to ``MAX_BLOCKS`` rows)."""

import hashlib
import math
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

from sqlalchemy import Connection, Result, Text, cast, column, func, select, table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from ftz.audit.models import AuditEvent

VERSION = 2
MAX_BLOCKS = 1024
BLOCK_HEX = 16  # per block; the full digest over every row is what makes a forgery infeasible

# The columns each version of the seal covers, frozen: a column added to a table later needs
# a new version (tests/audit/test_seals.py says so), or older seals would no longer verify.
COLUMNS: dict[int, dict[str, tuple[tuple[str, str], ...]]] = {
    1: {
        "upload": (
            ("id", "int"), ("kind", "text"), ("operator_id", "int"), ("filename", "text"), ("file_format", "text"),
            ("sha256", "text"), ("size_bytes", "int"), ("sent_by", "text"), ("received_at", "time"),
            ("outcome", "text"), ("rows_total", "int"), ("rows_new", "int"), ("rows_unchanged", "int"),
            ("rows_corrected", "int"), ("error_count", "int"), ("errors", "json"), ("warnings", "json"),
        ),
        "movement": (
            ("id", "int"), ("upload_id", "int"), ("operator_id", "int"), ("row_no", "int"),
            ("movement_ref", "text"), ("movement_type", "text"), ("occurred_at", "time"), ("lot_ref", "text"),
            ("hs_code", "text"), ("description", "text"), ("quantity", "int"), ("unit", "text"),
            ("customs_ref", "text"), ("origin_country", "text"), ("destination_country", "text"),
            ("intended_destination", "text"), ("removal_kind", "text"), ("counterparty", "text"),
            ("control_code", "text"), ("process_ref", "text"), ("value", "int"), ("currency", "text"),
            ("corrects_ref", "text"), ("note", "text"), ("recorded_at", "time"),
        ),
        "customs_entry": (
            ("id", "int"), ("upload_id", "int"), ("row_no", "int"), ("declaration_ref", "text"), ("item_no", "int"),
            ("version", "int"), ("direction", "text"), ("procedure", "text"), ("status", "text"),
            ("lodged_at", "time"), ("zone_id", "int"), ("operator_id", "int"), ("lot_ref", "text"),
            ("hs_code", "text"), ("description", "text"), ("quantity", "int"), ("unit", "text"),
            ("origin_country", "text"), ("destination_country", "text"), ("intended_destination", "text"),
            ("consignor", "text"), ("consignee", "text"), ("control_code", "text"), ("licence_ref", "text"),
            ("recorded_at", "time"),
        ),
        "stock_count": (
            ("id", "int"), ("operator_id", "int"), ("lot_ref", "text"), ("counted_at", "time"), ("quantity", "int"),
            ("unit", "text"), ("counted_by", "text"), ("note", "text"), ("recorded_at", "time"),
        ),
    }
}  # fmt: skip
# Version 2 (transfers between zones): movements' previous_ref, customs items' destination_zone
# and previous_ref. Uploads sealed under version 1 still verify with version 1's columns.
COLUMNS[2] = {
    "upload": COLUMNS[1]["upload"],
    "movement": (*COLUMNS[1]["movement"], ("previous_ref", "text")),
    "customs_entry": (*COLUMNS[1]["customs_entry"], ("destination_zone", "text"), ("previous_ref", "text")),
    "stock_count": COLUMNS[1]["stock_count"],
}

# The ledger table an upload's rows go to, by upload kind.
ROWS_OF = {"MOVEMENTS": "movement", "CUSTOMS": "customs_entry"}
NOUN = {"movement": "movement", "customs_entry": "customs entry", "stock_count": "count", "upload": "upload"}
NOUNS = {"movement": "movements", "customs_entry": "customs entries"}
# The acts whose audit events seal rows, and the table of the row each event's subject names.
ACTIONS = {"upload.accepted": "upload", "upload.rejected": "upload", "count.recorded": "stock_count"}


def seal_upload(conn: Connection, upload_id: int, kind: str, version: int = VERSION) -> dict:
    """The seal of an upload and the rows stored with it, for its audit event (in its transaction);
    ``version``: the columns it covers (an older one only to check that older seals still verify)."""
    rows_table = ROWS_OF[kind]
    where = column("upload_id") == upload_id
    count = conn.execute(select(func.count()).select_from(table(rows_table)).where(where)).scalar_one()
    per = max(1, math.ceil(count / MAX_BLOCKS))
    digest, blocks, ids = hashlib.sha256(), [], _Ranges()
    block, in_block = hashlib.sha256(), 0
    # A chunk of rows at a time, hashed in slices that end where blocks end: an import's
    # millions of rows cost one pass, not a Python call per row and hash.
    with closing(_rows(conn, rows_table, where, version)) as rows:
        for chunk in rows.partitions():
            ids.extend([row_id for row_id, _ in chunk])
            start = 0
            while start < len(chunk):
                end = min(len(chunk), start + per - in_block)
                data = "".join(f"{line}\n" for _, line in chunk[start:end]).encode()
                digest.update(data)
                block.update(data)
                in_block += end - start
                if in_block == per:
                    blocks.append(block.hexdigest()[:BLOCK_HEX])
                    block, in_block = hashlib.sha256(), 0
                start = end
    if in_block:
        blocks.append(block.hexdigest()[:BLOCK_HEX])
    return {
        "v": version,
        "upload": row_digest(conn, "upload", upload_id, version),
        "table": rows_table,
        "rows": ids.count,
        "ids": ids.ranges,
        "per_block": per,
        "blocks": blocks,
        "digest": digest.hexdigest(),
    }


def seal_row(conn: Connection, table_name: str, row_id: int) -> dict:
    """The seal of one row stored alone (a count), for its audit event."""
    return {"v": VERSION, "digest": row_digest(conn, table_name, row_id)}


def row_digest(conn: Connection, table_name: str, row_id: int, version: int = VERSION) -> str | None:
    """The sha256 of one row's canonical text; None when there is no such row."""
    found = _rows(conn, table_name, column("id") == row_id, version, stream=False).first()
    return hashlib.sha256(f"{found[1]}\n".encode()).hexdigest() if found else None


def compare_upload(conn: Connection, upload_id: int, seal: dict) -> str | None:
    """Why the upload or its stored rows no longer match ``seal``; None when they all do."""
    version = int(seal["v"])
    digest = row_digest(conn, "upload", upload_id, version)
    if digest != seal["upload"]:
        return f"upload {upload_id} was {'removed' if digest is None else 'changed'} after it was recorded"
    noun, nouns = NOUN[seal["table"]], NOUNS[seal["table"]]
    of = f"of upload {upload_id}"
    expected = _Ranges.expand(seal["ids"])
    per, blocks = int(seal["per_block"]), seal["blocks"]
    total, block, first_of_block = hashlib.sha256(), hashlib.sha256(), None
    want = next(expected, None)
    found = _lines(conn, seal["table"], column("upload_id") == upload_id, version)
    for position, (row_id, line) in enumerate(found, 1):
        # the ids first: a row removed or added is named exactly, whatever the block's size
        if want is not None and want < row_id:
            return f"{noun} {want} {of} was removed after it was recorded"
        if want is None or want > row_id:
            return f"{noun} {row_id} was added to upload {upload_id} after it was recorded"
        total.update(line)
        block.update(line)
        first_of_block = row_id if first_of_block is None else first_of_block
        if position % per == 0 or position == seal["rows"]:
            if block.hexdigest()[:BLOCK_HEX] != blocks[(position - 1) // per]:
                if first_of_block == row_id:
                    return f"{noun} {row_id} {of} was changed after it was recorded"
                return f"one of {nouns} {first_of_block} to {row_id} {of} was changed after it was recorded"
            block, first_of_block = hashlib.sha256(), None
        want = next(expected, None)
    if want is not None:
        return f"{noun} {want} {of} was removed after it was recorded"
    if total.hexdigest() != seal["digest"]:
        return f"the {nouns} {of} no longer match its digest"
    return None


def compare_row(conn: Connection, table_name: str, row_id: int, seal: dict) -> str | None:
    """Why a row stored alone no longer matches ``seal``; None when it does."""
    digest = row_digest(conn, table_name, row_id, int(seal["v"]))
    if digest == seal["digest"]:
        return None
    return f"{NOUN[table_name]} {row_id} was {'removed' if digest is None else 'changed'} after it was recorded"


def _lines(
    conn: Connection, table_name: str, where: ColumnElement[bool], version: int = VERSION
) -> Iterator[tuple[int, bytes]]:
    """(id, canonical text and a line feed) of the rows of ``table_name`` matching ``where``, in id order."""
    with closing(_rows(conn, table_name, where, version)) as rows:  # closed however early the caller stops
        for row_id, line in rows:
            yield row_id, f"{line}\n".encode()


def _rows(
    conn: Connection, table_name: str, where: ColumnElement[bool], version: int = VERSION, stream: bool = True
) -> Result:
    """(id, canonical text) of the rows of ``table_name`` matching ``where``, in id order, streamed."""
    columns = COLUMNS[version][table_name]
    if conn.dialect.name == "postgresql":
        # a time's text would follow the session's time zone: written in UTC instead
        values = [
            func.to_char(func.timezone("UTC", column(name)), "YYYY-MM-DD HH24:MI:SS.US") if kind == "time"
            else column(name)
            for name, kind in columns
        ]  # fmt: skip
        canonical = cast(func.row(*values), Text)
    else:
        canonical = func.json_array(*(column(name) for name, _ in columns))
    query = select(column("id"), canonical).select_from(table(table_name)).where(where).order_by(column("id"))
    return conn.execute(query, execution_options={"yield_per": 10_000} if stream else {})


class _Ranges:
    """Ascending ids kept as [first, last] runs: one run for the rows of one insert."""

    def __init__(self) -> None:
        self.ranges: list[list[int]] = []
        self.count = 0

    def extend(self, ids: list[int]) -> None:
        """Add ids greater than those added before, in ascending order."""
        if not ids:
            return
        self.count += len(ids)
        if ids[-1] - ids[0] == len(ids) - 1:  # one run (ids are distinct and ascending)
            if self.ranges and self.ranges[-1][1] == ids[0] - 1:
                self.ranges[-1][1] = ids[-1]
            else:
                self.ranges.append([ids[0], ids[-1]])
            return
        for row_id in ids:
            if self.ranges and self.ranges[-1][1] == row_id - 1:
                self.ranges[-1][1] = row_id
            else:
                self.ranges.append([row_id, row_id])

    @staticmethod
    def expand(ranges: list[list[int]]) -> Iterator[int]:
        for first, last in ranges:
            yield from range(first, last + 1)


@dataclass
class LedgerCheck:
    """The first stored row that no longer matches its seal, and what predates the seals."""

    difference: str = ""
    event: int | None = None  # the sequence number of the event whose seal no longer holds
    unsealed: int = 0  # uploads and counts recorded before ftz sealed them (not covered)


def check_ledger(conn: Connection, through: int) -> LedgerCheck:
    """Recompute the seal of every upload and count the trail's first ``through`` events record;
    then look for rows that no audited act stored."""
    check = LedgerCheck()
    recorded: dict[str, set[int]] = {"upload": set(), "stock_count": set()}
    events = (
        select(AuditEvent.seq, AuditEvent.action, AuditEvent.subject, AuditEvent.details)
        .where(AuditEvent.action.in_(ACTIONS), AuditEvent.seq <= through)
        .order_by(AuditEvent.seq)
    )
    for seq, action, subject, details in conn.execute(events, execution_options={"yield_per": 1_000}):
        table_name = ACTIONS[action]
        row_id = int(subject.partition(":")[2])
        recorded[table_name].add(row_id)
        seal = (details or {}).get("stored")
        if seal is None:
            check.unsealed += 1
            continue
        try:
            if table_name == "upload":
                difference = compare_upload(conn, row_id, seal)
            else:
                difference = compare_row(conn, table_name, row_id, seal)
        except DBAPIError as exc:
            # e.g. a BLOB written into a SQLite column: no text of ftz's own holds one
            reason = str(exc.orig).strip().splitlines()[0]
            difference = f"{subject.replace(':', ' ')} or its rows cannot be read back ({reason})"
        if difference:
            return LedgerCheck(difference, seq, check.unsealed)
    for table_name, known in recorded.items():
        if difference := _unrecorded(conn, table_name, known, through):
            return LedgerCheck(difference, None, check.unsealed)
    for rows_table in ROWS_OF.values():
        orphan = (
            select(column("id"), column("upload_id"))
            .select_from(table(rows_table))
            .where(column("upload_id").not_in(select(column("id")).select_from(table("upload"))))
            .order_by(column("id"))
            .limit(1)
        )
        if found := conn.execute(orphan).first():
            difference = f"{NOUN[rows_table]} {found[0]} names upload {found[1]}, which ftz never recorded"
            return LedgerCheck(difference, None, check.unsealed)
    return check


def _unrecorded(conn: Connection, table_name: str, known: set[int], through: int) -> str | None:
    """The first row of ``table_name`` that no audit event records."""
    ids = select(column("id")).select_from(table(table_name)).order_by(column("id"))
    for (row_id,) in conn.execute(ids, execution_options={"yield_per": 10_000}):
        if row_id in known:
            continue
        # stored since the chain was walked: its event came after the ones verified
        prefix = "count" if table_name == "stock_count" else "upload"
        later = select(AuditEvent.seq).where(
            AuditEvent.action.in_(ACTIONS), AuditEvent.subject == f"{prefix}:{row_id}", AuditEvent.seq > through
        )
        if conn.execute(later).first() is None:
            noun = NOUN.get(table_name, table_name)
            return f"{noun} {row_id} has no audit event: it was stored behind ftz's back"
    return None
