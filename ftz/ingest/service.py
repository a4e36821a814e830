"""Importing files into the ledger: the verbs the CLI, the API and the web call."""

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine
from sqlmodel import Session

from ftz.config import get_settings
from ftz.errors import InvalidInput
from ftz.ingest import blobs, pipeline
from ftz.ingest.customs import CustomsImport
from ftz.ingest.models import UploadKind
from ftz.ingest.movements import MovementsImport
from ftz.ingest.pipeline import ImportReport
from ftz.ingest.readers import Progress
from ftz.reference import service as reference
from ftz.zones import service as zones
from ftz.zones.models import Zone


def import_movements(
    engine: Engine,
    *,
    source: Path | BinaryIO,
    filename: str,
    operator_code: str,
    sent_by: str,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one operator's movements file; the operator is the sender, never read from the file."""
    with Session(engine) as session:
        operator = zones.get_operator_or_raise(session, code=operator_code.strip().upper())
        zone = session.get(Zone, operator.zone_id)
        operator_id, timezone, zone_code = operator.id, zone.timezone, zone.code
    subheadings = _subheadings(engine)
    blob = _store(source)
    accept = get_settings().zone(zone_code).accept_unknown_hs
    importer = MovementsImport(operator_id, timezone, subheadings, accept)
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
