"""Examinations: opened by a RED item at arrival; an officer records the result, which counts as
a customs count of the lot (the engine's ``counts``) and, where the goods found belong to another
HS subheading than declared, raises CLASSIFICATION_MISMATCH in the next run."""

from pathlib import Path
from typing import BinaryIO

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.auth.scope import Caller, Permission, get_visible, visible
from ftz.config import get_settings
from ftz.database import utcnow
from ftz.errors import Conflict, InvalidInput
from ftz.examinations.models import Examination, ExaminationStatus
from ftz.examinations.schemas import ExaminationPublic, ExaminationResult
from ftz.ingest import blobs
from ftz.ledger import lots
from ftz.zones.models import Operator, Zone

# What an officer may attach: photos and documents, kept content-addressed like uploads.
ATTACHMENT_MAX_BYTES = 20 * 1024**2


def open_for(session: Session, *, items: pd.DataFrame, reasons: pd.Series, actor: str) -> dict[int, int]:
    """Open an examination for each RED customs item (one per item); returns item id -> examination id."""
    opened = {}
    for index, row in items.iterrows():
        exam = Examination(
            customs_entry_id=int(row["id"]), operator_id=int(row["operator_id"]),
            lot_ref=row["lot_ref"] if isinstance(row["lot_ref"], str) else None,
            declaration_ref=row["declaration_ref"], item_no=int(row["item_no"]), declared_hs_code=row["hs_code"],
            reasons=list(reasons[index]),
        )  # fmt: skip
        session.add(exam)
        session.flush()
        opened[exam.customs_entry_id] = exam.id
        audit.record(session, actor=actor, action="examination.opened", subject=f"examination:{exam.id}",
                     operator_id=exam.operator_id, details={"item": f"{exam.declaration_ref}/{exam.item_no}",
                                                            "reasons": exam.reasons})  # fmt: skip
    return opened


def get_all(session: Session, *, caller: Caller, status: str | None = None) -> list[ExaminationPublic]:
    """The examinations the caller may see (customs only), newest first."""
    caller.require(Permission.REVIEW)
    query = (
        select(Examination, Operator.code)
        .join(Operator, Operator.id == Examination.operator_id)
        .where(visible(caller, Examination))
        .order_by(Examination.id.desc())
    )
    if status:
        query = query.where(Examination.status == status.strip().upper())
    return [_public(e, code) for e, code in session.execute(query.limit(1000)).all()]


def get(session: Session, *, caller: Caller, examination_id: int) -> ExaminationPublic:
    """One examination the caller may see (customs only)."""
    caller.require(Permission.REVIEW)
    exam = get_visible(session, caller, Examination, examination_id, what="examination")
    return _public(exam, session.get(Operator, exam.operator_id).code)


def record_result(
    session: Session,
    *,
    caller: Caller,
    examination_id: int,
    result_in: ExaminationResult,
    attachment: tuple[BinaryIO, str] | None = None,
) -> ExaminationPublic:
    """Record what the officer found (once): stored as a customs count of the lot; audited.
    ``attachment``: (stream, filename) of a PDF, JPEG or PNG, told by its first bytes."""
    caller.require(Permission.INVESTIGATE)
    exam = get_visible(session, caller, Examination, examination_id, what="examination")
    if exam.status != ExaminationStatus.OPEN:
        raise Conflict(f"examination {exam.id} has its result already")
    operator = session.get(Operator, exam.operator_id)
    zone = session.get(Zone, operator.zone_id)
    examined_at = lots.local_moment(session, result_in.examined_at or utcnow(), zone)
    if exam.lot_ref:  # the count of the lot, which the next run compares with the book balance
        found = f"goods found under HS {result_in.hs_code}, declared {exam.declared_hs_code}"
        count = lots.store_count(
            session, operator=operator, lot_ref=exam.lot_ref, counted_at=examined_at, quantity=result_in.quantity,
            unit=result_in.unit, counted_by=caller.name, note=f"examination {exam.id}: {found}",
            details={"examination": exam.id}, booked=False,
        )  # fmt: skip
        exam.stock_count_id = count.id
    else:
        lots.checked_quantity(result_in.quantity, result_in.unit)
    if attachment is not None:  # stored once the result is known to be acceptable
        exam.attachment_sha256, exam.attachment_name, exam.attachment_type = _attach(*attachment)
    exam.status, exam.examined_at, exam.recorded_by = ExaminationStatus.DONE, examined_at, caller.name
    exam.quantity, exam.unit = result_in.quantity, result_in.unit
    exam.found_hs_code, exam.found_description, exam.note = result_in.hs_code, result_in.description, result_in.note
    session.add(exam)
    session.flush()
    audit.record(session, actor=caller.name, action="examination.recorded", subject=f"examination:{exam.id}",
                 operator_id=exam.operator_id, zone_id=zone.id,
                 details={"quantity": result_in.quantity, "unit": result_in.unit, "hs_code": result_in.hs_code,
                          "declared_hs_code": exam.declared_hs_code, "attachment": exam.attachment_sha256,
                          "stock_count_id": exam.stock_count_id})  # fmt: skip
    return _public(exam, operator.code)


def attachment_path(session: Session, *, caller: Caller, examination_id: int) -> tuple[Path, str, str]:
    """Where an examination's attachment is kept, its name and type."""
    caller.require(Permission.REVIEW)
    exam = get_visible(session, caller, Examination, examination_id, what="examination")
    if not exam.attachment_sha256:
        raise InvalidInput(f"examination {exam.id} has no attachment")
    path = blobs.blob_path(get_settings().data_dir, exam.attachment_sha256)
    return path, exam.attachment_name or "attachment", exam.attachment_type or "application/octet-stream"


def _attach(source: BinaryIO, filename: str) -> tuple[str, str, str]:
    kind = blobs.document_type(source, filename or "")
    blob = blobs.store(source, get_settings().data_dir, min(ATTACHMENT_MAX_BYTES, get_settings().upload_max_bytes))
    return blob.sha256, Path(filename or "attachment").name[:255], kind


def _public(exam: Examination, operator_code: str) -> ExaminationPublic:
    return ExaminationPublic.model_validate(exam, update={"operator_code": operator_code})
