"""The licence register: batches from the licensing authority (all or nothing, every row's
every error named), and the licences in force as each caller may read them."""

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.auth.scope import Caller, Permission, operator_in_scope, visible
from ftz.config import get_settings
from ftz.database import SCALE, from_millionths
from ftz.errors import Conflict, InvalidInput
from ftz.ingest import blobs
from ftz.ingest.checks import quoted
from ftz.ingest.pipeline import RowError, open_reader, validate_file
from ftz.ingest.schema import row_errors
from ftz.licences import spec, usage
from ftz.licences.models import Licence
from ftz.licences.schemas import LicenceForOperator, LicencePublic
from ftz.zones.models import Operator

# What makes two versions the same: every column the authority sends but the key.
CONTENT = ["status", "holder_id", "issued_at", "valid_until", "control_codes", "destination_countries", "end_user",
           "quantity", "unit", "authority"]  # fmt: skip


# What a reader sees of a stored version as it is (the lists are split, the holder named).
SHOWN = {"licence_ref", "version", "status", "issued_at", "valid_until", "end_user", "quantity", "unit", "authority",
         "recorded_at"}  # fmt: skip


@dataclass
class Batch:
    """What became of a batch: how many licence versions were new and already recorded, or
    every row error (and then nothing stored)."""

    filename: str
    sha256: str = ""
    rows: int = 0
    new: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line the sender reads first."""
        if self.errors:
            return f"{self.filename}: rejected, {len(self.errors)} errors; nothing was stored"
        if self.new == 0:
            return f"{self.filename}: {self.rows} licence versions, all already recorded; nothing changed"
        return f"{self.filename}: {self.rows} licence versions, {self.new} new, {self.unchanged} already recorded"


def create(engine: Engine, *, caller: Caller, source: Path | BinaryIO, filename: str) -> Batch:
    """Record a batch of licence versions (CSV or a JSON array), every row or (on any error in
    any row) none. The licensing authority sends through customs' own channel."""
    caller.require(Permission.SEND_CUSTOMS)
    settings = get_settings()
    if isinstance(source, Path):
        blob = blobs.store_file(source, settings.data_dir, settings.upload_max_bytes)
    else:
        blob = blobs.store(source, settings.data_dir, settings.upload_max_bytes)
    frame, errors = validate_file(spec.LICENCES, open_reader(blob.path, spec.LICENCES))
    if frame.empty and not errors:
        raise InvalidInput("the file has a header but no rows")
    frame, more = spec.check(frame, errors)
    batch = Batch(filename, blob.sha256, rows=len(frame))
    with Session(engine) as session:
        frame["holder_id"], unknown = _holders(session, frame["holder"])
        reason = quoted(frame["holder"].fillna("")) + " is not a registered operator"
        more += spec.numbered([row_errors("holder", unknown, reason)], frame["row_no"])
        stored = _stored(session, frame)
        fresh, changed = _compare(frame, stored)
        # a row already wrong differs from what is recorded for that reason alone: not said twice
        clean = ~frame["row_no"].isin({e.row for e in errors + more})
        more += spec.numbered([row_errors("version", changed & clean, _changed(frame))], frame["row_no"])
        batch.errors = sorted(errors + more, key=lambda e: (e.row, _order(e.column)))
        if batch.errors:
            _audit(session, caller, batch, "licences.rejected")
            session.commit()
            return batch
        batch.new, batch.unchanged = int(fresh.sum()), int((~fresh).sum())
        session.add_all(_licences(frame[fresh], caller.name))
        _audit(session, caller, batch, "licences.imported")
        try:
            session.commit()
        except IntegrityError:
            raise Conflict("another batch recorded some of these licence versions meanwhile: send it again") from None
    return batch


def get_all(engine: Engine, *, caller: Caller, holder: str | None = None) -> list[LicencePublic | LicenceForOperator]:
    """The licences in force (each one's highest version) that the caller may see, with every
    version's number: customs with their usage, an operator its own licences, without usage."""
    caller.require(Permission.READ)
    with Session(engine) as session:
        seen = set(session.execute(select(Operator.id).where(visible(caller, Operator))).scalars())
        if holder:
            seen = {operator_in_scope(session, caller, holder).id}
        query = select(Licence, Operator).join(Operator, Operator.id == Licence.holder_id)
        rows = session.execute(query.order_by(Licence.licence_ref, Licence.version)).all()
    versions: dict[str, list[int]] = {}
    latest: dict[str, tuple[Licence, Operator]] = {}
    for licence, operator in rows:
        versions.setdefault(licence.licence_ref, []).append(licence.version)
        latest[licence.licence_ref] = (licence, operator)
    # whose a licence is, is what its version in force says
    latest = {ref: (lic, op) for ref, (lic, op) in latest.items() if lic.holder_id in seen}
    public = [
        LicenceForOperator(
            **licence.model_dump(include=SHOWN),
            versions=versions[ref], holder=operator.code, aeo=operator.aeo,
            control_codes=licence.control_codes.split(";"),
            destination_countries=licence.destination_countries.split(";"),
        )
        for ref, (licence, operator) in latest.items()
    ]  # fmt: skip
    if not caller.may(Permission.REVIEW):  # how the licence is being used is customs' own view
        return public
    used = usage.get_all(engine, licences=[licence for licence, _ in latest.values()])
    return [LicencePublic(**p.model_dump(), usage=used[p.licence_ref]) for p in public]


def _holders(session: Session, codes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each row's holder as an operator id, and where the code names no registered operator."""
    codes = codes.str.upper()
    known = dict(
        session.execute(select(Operator.code, Operator.id).where(Operator.code.in_(set(codes.dropna())))).all()
    )
    ids = codes.map(known)
    return ids, codes.notna() & ids.isna()


def _stored(session: Session, frame: pd.DataFrame) -> dict[tuple[str, int], tuple]:
    """The content of the versions already recorded of the licences the batch names."""
    refs = set(frame["licence_ref"].dropna())
    found = session.execute(select(Licence).where(Licence.licence_ref.in_(refs))).scalars() if refs else []
    return {(lic.licence_ref, lic.version): _content(lic.model_dump()) for lic in found}


def _compare(frame: pd.DataFrame, stored: dict[tuple[str, int], tuple]) -> tuple[pd.Series, pd.Series]:
    """Which rows are versions not recorded yet, and which contradict a recorded version."""
    fresh, changed = [], []
    for row in frame.to_dict("records"):
        before = stored.get((row["licence_ref"], row["version"]))
        fresh.append(before is None)
        changed.append(before is not None and before != _content(row))
    return pd.Series(fresh, index=frame.index), pd.Series(changed, index=frame.index)


def _content(values: dict) -> tuple:
    """A version's content as comparable values: quantities in millionths, missing as None."""
    content = []
    for column in CONTENT:
        value = values[column]
        if value is None or pd.isna(value):
            value = None
        elif column == "quantity" and isinstance(value, Decimal):  # as stored
            value = int(value * SCALE)
        content.append(value)
    return tuple(content)


def _changed(frame: pd.DataFrame) -> pd.Series:
    return (
        "licence " + frame["licence_ref"].astype("str") + " version " + frame["version"].astype("str")
        + " is already recorded with other content: send the change as a higher version"
    )  # fmt: skip


def _licences(frame: pd.DataFrame, recorded_by: str) -> list[Licence]:
    rows = frame.astype("object").where(frame.notna(), None).to_dict("records")
    return [
        Licence(
            **{c: row[c] for c in ["licence_ref", "status", "issued_at", "valid_until", "control_codes",
                                   "destination_countries", "end_user", "unit", "authority"]},
            version=int(row["version"]), holder_id=int(row["holder_id"]), row_no=int(row["row_no"]),
            quantity=None if row["quantity"] is None else from_millionths(row["quantity"]),
            recorded_by=recorded_by[:200],
        )
        for row in rows
    ]  # fmt: skip


def _audit(session: Session, caller: Caller, batch: Batch, action: str) -> None:
    details = {"filename": batch.filename, "sha256": batch.sha256, "rows": batch.rows, "new": batch.new,
               "unchanged": batch.unchanged, "errors": len(batch.errors)}  # fmt: skip
    audit.record(session, actor=caller.name, action=action, subject=f"licences:{batch.sha256[:12]}", details=details)


def _order(column: str) -> int:
    names = spec.LICENCES.names
    return names.index(column) if column in names else -1
