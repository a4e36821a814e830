"""Importing files into the ledger: the verbs the CLI, the API and the web call."""

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, select
from sqlmodel import Session

from ftz.auth.scope import Caller, Permission, get_visible, visible
from ftz.config import get_settings
from ftz.errors import InvalidInput, NotFound
from ftz.ingest import blobs, pipeline
from ftz.ingest.customs import CustomsImport
from ftz.ingest.models import Upload, UploadKind
from ftz.ingest.movements import MovementsImport
from ftz.ingest.pipeline import ImportReport
from ftz.ingest.rows import Progress
from ftz.reference import service as reference
from ftz.zones import service as zones
from ftz.zones.models import Operator, Zone


def import_movements(
    engine: Engine,
    *,
    source: Path | BinaryIO,
    filename: str,
    operator_code: str,
    sent_by: str,
    progress: Progress | None = None,
    create_in: str | None = None,
) -> ImportReport:
    """Import one operator's movements file; the operator is the sender, never read from the file.
    An operator not yet registered is registered in zone ``create_in``, if given, when the file
    is stored (a refused file registers nothing)."""
    code = operator_code.strip().upper()
    new_operator = None
    with Session(engine) as session:
        operator = zones.get_operator(session, code=code)
        if operator is None and create_in:
            zone = zones.get_zone_or_raise(session, code=create_in.strip().upper())
            new_operator = (code, zone.code, sent_by)
        else:
            operator = operator or zones.get_operator_or_raise(session, code=code)
            zone = session.get(Zone, operator.zone_id)
        operator_id = operator.id if operator is not None else None  # None: registered when stored
        timezone, zone_code = zone.timezone, zone.code
    subheadings = _subheadings(engine)
    blob = _store(source)
    accept = get_settings().zone(zone_code).accept_unknown_hs
    importer = MovementsImport(operator_id, timezone, subheadings, accept, new_operator=new_operator)
    upload = pipeline.upload_values(UploadKind.MOVEMENTS, filename, blob, sent_by, operator_id)
    return pipeline.run(engine, importer, upload, blob, progress)


def import_customs(
    engine: Engine,
    *,
    source: Path | BinaryIO,
    filename: str,
    sent_by: str,
    create_missing: bool = False,
    progress: Progress | None = None,
) -> tuple[ImportReport, list[str]]:
    """Import a batch of customs entries; also what --create-missing registered."""
    subheadings = _subheadings(engine)
    blob = _store(source)
    accepting = frozenset(code for code, zone in get_settings().zones.items() if zone.accept_unknown_hs)
    importer = CustomsImport(subheadings, accepting, create_missing=create_missing)
    upload = pipeline.upload_values(UploadKind.CUSTOMS, filename, blob, sent_by, None)
    report = pipeline.run(engine, importer, upload, blob, progress)
    return report, importer.created if report.accepted else []


def _subheadings(engine: Engine) -> frozenset[str]:
    """The 6-digit subheadings of the HS nomenclature in force."""
    hs = reference.hs_nomenclature(engine)
    if hs.empty:
        raise InvalidInput("no HS nomenclature is loaded: run `ftz db upgrade`")
    return frozenset(hs.loc[hs["level"] == 6, "code"])


def _store(source: Path | BinaryIO) -> blobs.Blob:
    settings = get_settings()
    if isinstance(source, Path):
        return blobs.store_file(source, settings.data_dir, settings.upload_max_bytes)
    return blobs.store(source, settings.data_dir, settings.upload_max_bytes)


def get_all(
    session: Session, *, caller: Caller, kind: str | None = None, before: int | None = None, limit: int = 50
) -> list[tuple[Upload, str | None]]:
    """Uploads the caller may see, newest first, with their operator's code."""
    # Any caller lists what it may see, a sending system's token included: the reports of
    # what it sent are part of sending.
    query = (
        select(Upload, Operator.code)
        .outerjoin(Operator, Operator.id == Upload.operator_id)
        .where(visible(caller, Upload))
        .order_by(Upload.id.desc())
        .limit(limit)
    )
    if kind:
        query = query.where(Upload.kind == kind.upper())
    if before:
        query = query.where(Upload.id < before)
    return [(u, code) for u, code in session.execute(query).all()]


def get(session: Session, *, caller: Caller, upload_id: int) -> tuple[Upload, str | None]:
    """One upload the caller may see (else not found), with its operator's code."""
    upload = get_visible(session, caller, Upload, upload_id, what="upload")
    operator = session.get(Operator, upload.operator_id) if upload.operator_id else None
    return upload, operator.code if operator else None


def get_file(session: Session, *, caller: Caller, upload_id: int) -> tuple[Path, Upload]:
    """Where the raw file of an upload the caller may see is kept."""
    upload, _ = get(session, caller=caller, upload_id=upload_id)
    path = blobs.blob_path(get_settings().data_dir, upload.sha256)
    if not path.exists():
        raise NotFound(f"the file of upload {upload_id} is no longer kept")
    return path, upload


def send_movements(engine: Engine, *, caller: Caller, source: BinaryIO, filename: str) -> ImportReport:
    """An operator's account (or its system's token) sends its own movements."""
    caller.require(Permission.SEND_MOVEMENTS)
    with Session(engine) as session:
        operator = session.get(Operator, caller.operator_id)
        if operator is None:
            raise InvalidInput("this account is not bound to an operator")
        code = operator.code
    return import_movements(engine, source=source, filename=filename, operator_code=code, sent_by=caller.name)


def send_customs(engine: Engine, *, caller: Caller, source: BinaryIO, filename: str) -> ImportReport:
    """The customs declaration system sends a batch of entries."""
    caller.require(Permission.SEND_CUSTOMS)
    report, _ = import_customs(engine, source=source, filename=filename, sent_by=caller.name)
    return report
