"""The import pipeline shared by every kind of file: read, validate, stage, check, store or reject."""

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update

from ftz.audit import seal
from ftz.audit import service as audit
from ftz.config import get_settings
from ftz.database import utcnow
from ftz.errors import InvalidInput, TooLarge
from ftz.ingest import staging
from ftz.ingest.blobs import Blob
from ftz.ingest.models import Upload, UploadKind, UploadOutcome
from ftz.ingest.readers import TableReader
from ftz.ingest.rows import Progress
from ftz.ingest.schema import FileSpec, HeaderCheck, check_header, validate

STAGE = "ftz_staging"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowError:
    """One problem with one cell (or a whole row, or the header when ``row`` is 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


@dataclass
class ImportReport:
    """What became of a file: its upload, its row counts and every row error."""

    upload_id: int | None
    filename: str
    sha256: str
    outcome: str
    rows_total: int = 0
    rows_new: int = 0
    rows_unchanged: int = 0
    rows_corrected: int = 0
    # What a row that changes an earlier record is called in this kind of file.
    corrections_word: str = "corrections"
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    # per customs item stored, its selectivity channel and profiles (ftz.profiles.selectivity)
    selectivity: list = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.outcome == UploadOutcome.ACCEPTED

    def summary(self) -> str:
        """One line an operator reads first."""
        if not self.accepted:
            return f"{self.filename}: rejected, {len(self.errors)} errors; nothing was stored"
        warned = f", {len(self.warnings)} warnings" if self.warnings else ""
        if self.rows_total == 0:
            return f"{self.filename}: no rows; nothing changed{warned}"
        if self.rows_new == 0:
            return f"{self.filename}: {self.rows_total} rows, all already recorded; nothing changed{warned}"
        return (
            f"{self.filename}: {self.rows_total} rows, {self.rows_new} new "
            f"({self.rows_corrected} {self.corrections_word}), {self.rows_unchanged} already recorded{warned}"
        )


class Importer(Protocol):
    """What differs between movements and customs entries."""

    spec: FileSpec
    kind: str  # the upload kind
    columns: dict[str, str]  # staging column -> text, int or time

    def load(self, conn: Connection) -> None:
        """Read what the checks need from the database (codes, ids)."""

    def timezones(self, cells: pd.DataFrame, header: HeaderCheck) -> pd.Series | str: ...

    def prepare(
        self, conn: Connection, frame: pd.DataFrame, cells: pd.DataFrame, header: HeaderCheck
    ) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
        """Checks across a row's fields: (errors, warnings), by index of ``cells``."""

    def lock(self, conn: Connection) -> None:
        """Keep other imports that could clash out until the final write commits (PostgreSQL)."""

    def register(self, conn: Connection) -> int | None:
        """Create what the file names and the database lacks, just before the rows are stored;
        the id of the sending operator, if it is one of them."""

    def cross_check(self, conn: Connection) -> list[RowError]: ...

    def cross_warnings(self, conn: Connection) -> list[RowError]:
        """What is kept but worth a look, across the file's rows and the ledger."""
        ...

    def store(self, conn: Connection, upload_id: int) -> tuple[int, int]: ...


def run(
    engine: Engine,
    importer: Importer,
    upload: dict,
    blob: Blob,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one stored file with ``importer``: all of it, or (on any error) none of it."""
    settings = get_settings()
    report = ImportReport(None, upload["filename"], blob.sha256, UploadOutcome.ACCEPTED)
    if upload["kind"] == UploadKind.CUSTOMS:
        report.corrections_word = "amendments"
    try:
        reader = open_reader(blob.path, importer.spec)
        upload["file_format"] = reader.file_format
        header = check_header(importer.spec, reader.header)
        # an empty JSON array names no column: like a header without rows, a batch of nothing
        report.errors = [] if reader.holds_nothing else [RowError(*e) for e in header.errors]
        with engine.connect() as conn:
            try:
                started = time.monotonic()
                mark = _check(conn, importer, reader, header, report, progress)
                checked = time.monotonic()
                if not report.errors:
                    _store(conn, importer, upload, report, mark)
                log.info("%s: checked in %.2f s, stored in %.2f s (the write lock's time)", upload["filename"],
                         checked - started, time.monotonic() - checked)  # fmt: skip
            finally:
                staging.drop(conn, STAGE)
    except InvalidInput as exc:
        report.errors = [RowError(0, "(file)", str(exc))]
        _reject(engine, upload, report, settings.report_max_errors)
        raise
    if report.errors:
        report.errors.sort(key=lambda e: (e.row, _column_order(importer.spec, e.column)))
        _reject(engine, upload, report, settings.report_max_errors)
    return report


def _check(
    conn: Connection,
    importer: Importer,
    reader: TableReader,
    header: HeaderCheck,
    report: ImportReport,
    progress: Progress | None,
) -> int:
    """Read, validate and stage every row, and check them across rows and against what is
    recorded, without the database's write lock (on SQLite, one for the whole database): the
    ledger is only read. Returns the mark of the last upload of this kind seen."""
    with conn.begin():
        importer.load(conn)
        staging.create(conn, STAGE, importer.columns)
        report.rows_total, chunk_errors, report.warnings = _stage(conn, importer, reader, header, progress)
        report.errors += [RowError(e.row_no, "(row)", e.message) for e in reader.structural_errors]
        report.errors += chunk_errors
        report.rows_total += len(reader.structural_errors)
        report.errors += importer.cross_check(conn)
        report.warnings += importer.cross_warnings(conn)
        return _mark(conn, importer)


def _store(conn: Connection, importer: Importer, upload: dict, report: ImportReport, mark: int) -> None:
    """The final write, in one short transaction that holds the write lock: the upload, its rows,
    its counts and its sealed audit event. The checks run again first only when another import
    of this kind was stored since they ran."""
    settings = get_settings()
    with conn.begin():
        if conn.dialect.name == "sqlite":
            # the write lock now, waiting for it (busy_timeout), rather than at the first insert
            # after reads, where SQLite refuses at once when another write came in between
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # the final insert sorts the file's rows and hands them all to the ownership
            # trigger: in memory, not in temporary files
            conn.exec_driver_sql(f"SET LOCAL work_mem = '{settings.import_work_mem}'")
        importer.lock(conn)
        if _mark(conn, importer) != mark:
            importer.load(conn)
            report.errors += importer.cross_check(conn)
            if report.errors:
                conn.rollback()
                return
        sender = importer.register(conn)
        if sender is not None:
            upload = upload | {"operator_id": sender}
        upload_id = conn.execute(
            insert(Upload).values(**upload, outcome=UploadOutcome.ACCEPTED).returning(Upload.id)
        ).scalar_one()
        report.rows_new, report.rows_corrected = importer.store(conn, upload_id)
        report.rows_unchanged = report.rows_total - report.rows_new
        conn.execute(
            update(Upload)
            .where(Upload.id == upload_id)
            .values(
                rows_total=report.rows_total,
                rows_new=report.rows_new,
                rows_unchanged=report.rows_unchanged,
                rows_corrected=report.rows_corrected,
                warnings=_as_dicts(report.warnings[: settings.report_max_errors]),
            )
        )
        report.upload_id = upload_id
        _audit(conn, upload, report, registered=getattr(importer, "created", []))


def _mark(conn: Connection, importer: Importer) -> int:
    """The newest accepted upload of the importer's kind: what the checks were made against."""
    latest = conn.execute(
        select(func.max(Upload.id)).where(Upload.kind == importer.kind, Upload.outcome == UploadOutcome.ACCEPTED)
    ).scalar_one()
    return latest or 0


def _stage(
    conn: Connection, importer: Importer, reader: TableReader, header: HeaderCheck, progress: Progress | None
) -> tuple[int, list[RowError], list[RowError]]:
    settings = get_settings()
    rows = 0
    errors: list[RowError] = []
    warnings: list[RowError] = []
    for chunk in reader.chunks(progress):
        cells = chunk.cells
        frame, found = validate(
            importer.spec,
            header,
            cells,
            timezones=importer.timezones(cells, header),
            decimal_comma=reader.decimal_comma,
        )
        more, warned = importer.prepare(conn, frame, cells, header)
        found += more
        warnings += _numbered(warned, chunk.row_no)
        frame["row_no"] = chunk.row_no
        staging.load(conn, STAGE, frame, importer.columns)
        rows += len(frame)
        if rows > settings.upload_max_rows:
            raise TooLarge(f"the file has more than the {settings.upload_max_rows:,} rows allowed")
        errors += _numbered(found, chunk.row_no)
    return rows, errors, warnings


def open_reader(path, spec: FileSpec) -> TableReader:
    """A reader for a stored file of ``spec``'s columns, with the configured limits."""
    settings = get_settings()
    return TableReader(
        path,
        chunk_rows=settings.import_chunk_rows,
        xlsx_max_bytes=settings.xlsx_max_uncompressed_bytes,
        json_max_bytes=settings.json_max_bytes,
        columns=tuple(spec.names),
    )


def validate_file(spec: FileSpec, reader: TableReader) -> tuple[pd.DataFrame, list[RowError]]:
    """Every row of a small file, checked and normalised in memory (reference lists)."""
    header = check_header(spec, reader.header)
    errors = [RowError(*e) for e in header.errors]
    frames = []
    for chunk in reader.chunks():
        frame, found = validate(spec, header, chunk.cells, timezones="UTC", decimal_comma=reader.decimal_comma)
        errors += _numbered(found, chunk.row_no)
        frame["row_no"] = chunk.row_no
        frames.append(frame)
    errors += [RowError(e.row_no, "(row)", e.message) for e in reader.structural_errors]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*spec.names, "row_no"])
    return frame, sorted(errors, key=lambda e: (e.row, _column_order(spec, e.column)))


def _numbered(found: list[pd.DataFrame], row_no: pd.Series) -> list[RowError]:
    """Errors found by index, as rows of the file."""
    errors = []
    for table in found:
        if len(table):
            numbers = row_no.loc[table["index"]].to_numpy()
            errors += [
                RowError(int(n), c, m) for n, c, m in zip(numbers, table["column"], table["message"], strict=True)
            ]
    return errors


def _reject(engine: Engine, upload: dict, report: ImportReport, keep: int) -> None:
    """Record the refused upload with its report; none of its rows."""
    report.outcome = UploadOutcome.REJECTED
    values = upload | {
        "outcome": UploadOutcome.REJECTED,
        "rows_total": report.rows_total,
        "error_count": len(report.errors),
        "errors": _as_dicts(report.errors[:keep]),
    }
    with engine.begin() as conn:
        report.upload_id = conn.execute(insert(Upload).values(**values).returning(Upload.id)).scalar_one()
        _audit(conn, upload, report)


def _audit(conn: Connection, upload: dict, report: ImportReport, registered: list[str] | None = None) -> None:
    """The upload's audit event, in the transaction that records it."""
    audit.record(
        conn,
        actor=upload["sent_by"],
        action=f"upload.{report.outcome.lower()}",
        subject=f"upload:{report.upload_id}",
        operator_id=upload["operator_id"],
        details={
            "kind": upload["kind"],
            "filename": upload["filename"],
            "sha256": upload["sha256"],
            "rows": report.rows_total,
            "new": report.rows_new,
            "errors": len(report.errors),
            # zones and operators --create-missing registered with the upload
            "registered": registered or [],
            # the digest of the upload's row and of every row stored with it (ftz audit verify)
            "stored": seal.seal_upload(conn, report.upload_id, upload["kind"]),
        },
    )


def _as_dicts(errors: list[RowError]) -> list[dict]:
    return [{"row": e.row, "column": e.column, "message": e.message} for e in errors]


def _column_order(spec: FileSpec, column: str) -> int:
    names = spec.names
    return names.index(column) if column in names else -1


def upload_values(kind: str, filename: str, blob: Blob, sent_by: str, operator_id: int | None) -> dict:
    """The columns of an upload row, before its outcome is known."""
    return {
        "kind": kind,
        "operator_id": operator_id,
        "filename": filename[:255],
        "file_format": "?",
        "sha256": blob.sha256,
        "size_bytes": blob.size,
        "sent_by": sent_by[:200],
        "received_at": utcnow(),
        "rows_total": 0,
        "rows_new": 0,
        "rows_unchanged": 0,
        "rows_corrected": 0,
        "error_count": 0,
        "errors": [],
        "warnings": [],
    }
