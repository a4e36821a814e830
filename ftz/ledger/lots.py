"""Lots as callers see them: balances, a lot's full history, and the counts customs records.
Always within the caller's scope."""

import base64
import binascii
import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import Session

from ftz.audit import seal
from ftz.audit import service as audit
from ftz.auth.scope import Caller, Permission, operator_in_scope, visible
from ftz.database import utcnow
from ftz.errors import Conflict, InvalidInput, NotFound
from ftz.ledger.models import (
    CustomsEntry,
    CustomsEntryPublic,
    LotHistory,
    LotPublic,
    Movement,
    MovementPublic,
    StockCount,
    StockCountCreate,
    StockCountPublic,
)
from ftz.ledger.service import get_lot_balances, lot_keys
from ftz.zones import service as zones
from ftz.zones.models import Operator, Zone
from reconciliation.quantities import fits, too_large_reason
from reconciliation.units import UNITS


def get_all(
    engine: Engine,
    *,
    caller: Caller,
    operator_code: str | None = None,
    strategic: bool | None = None,
    as_of: str | None = None,
    after: str | None = None,
    limit: int = 500,
) -> tuple[list[LotPublic], str | None]:
    """A page of the lots the caller may see, with their balances (optionally one operator's, or
    only strategic ones) at ``as_of`` as typed (the zone's local time where it names no offset;
    a bare date is the end of that day), and the cursor of the next page (None at the end).
    Only the page's lots, and what they are tied to, are read: never another tenant's ledger."""
    caller.require(Permission.READ)
    with Session(engine) as session:
        operators = dict(session.execute(select(Operator.id, Operator.code).where(visible(caller, Operator))).all())
        if operator_code:
            operators = {operator_in_scope(session, caller, operator_code).id: operator_code.strip().upper()}
        moment = None
        if as_of:
            codes = list(session.execute(select(Zone.code).where(Zone.id.in_(
                select(Operator.zone_id).where(Operator.id.in_(operators))))).scalars())  # fmt: skip
            moment = zones.moment(session, value=as_of, zone_codes=codes)
    keys = lot_keys(engine, operator_ids=sorted(operators), after=_decode(after) if after else None, limit=limit + 1)
    page, more = keys[:limit], len(keys) > limit
    balances = get_lot_balances(engine, lots=page, as_of=moment) if page else None
    if balances is None or balances.empty:
        return [], _encode(page[-1]) if more else None
    if strategic is not None:
        balances = balances[balances["strategic"] == strategic]
    rows = balances.sort_values(["operator_id", "lot_ref"]).to_dict("records")
    return [_lot(row, operators) for row in rows], _encode(page[-1]) if more else None


def _encode(key: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, str]:
    try:
        operator_id, lot_ref = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(operator_id), str(lot_ref)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this API gave out") from None


def get_history(engine: Engine, *, caller: Caller, operator_code: str, lot_ref: str) -> LotHistory:
    """A lot's balance and every record on it, from both sides."""
    caller.require(Permission.READ)
    with Session(engine) as session:
        operator = operator_in_scope(session, caller, operator_code)
        moves = list(
            session.execute(
                select(Movement)
                .where(Movement.operator_id == operator.id, Movement.lot_ref == lot_ref)
                .order_by(Movement.occurred_at, Movement.id)
            ).scalars()
        )
        if not moves:
            raise NotFound(f"no lot {lot_ref} of operator {operator.code}")
        entries = session.execute(
            select(CustomsEntry)
            .where(CustomsEntry.operator_id == operator.id, CustomsEntry.lot_ref == lot_ref)
            .order_by(CustomsEntry.lodged_at, CustomsEntry.id)
        ).scalars()
        # customs' counts at inspections are its own work: never shown to the operator
        counts = (
            session.execute(
                select(StockCount)
                .where(StockCount.operator_id == operator.id, StockCount.lot_ref == lot_ref)
                .order_by(StockCount.counted_at)
            ).scalars()
            if caller.may(Permission.REVIEW)
            else []
        )
        corrected = {m.corrects_ref for m in moves if m.corrects_ref}
        history = LotHistory(
            lot=_one_lot(engine, operator, lot_ref),
            movements=[
                MovementPublic.model_validate(m, update={"superseded": _superseded(m, moves, corrected)}) for m in moves
            ],
            customs_entries=[CustomsEntryPublic.model_validate(e) for e in entries],
            counts=[_count(c, operator.code) for c in counts],
            timezone=session.get(Zone, operator.zone_id).timezone,
        )
    return history


def record_count(session: Session, *, caller: Caller, count_in: StockCountCreate) -> StockCountPublic:
    """Record what customs found on hand; the next run compares it with the book balance."""
    caller.require(Permission.INVESTIGATE)
    operator = operator_in_scope(session, caller, count_in.operator_code)
    counted_at = local_moment(session, count_in.counted_at, session.get(Zone, operator.zone_id))
    _not_recorded_yet(session, operator, count_in, counted_at)
    count = store_count(
        session, operator=operator, lot_ref=count_in.lot_ref, counted_at=counted_at, quantity=count_in.quantity,
        unit=count_in.unit, counted_by=caller.name, note=count_in.note,
    )  # fmt: skip
    return _count(count, operator.code)


def _not_recorded_yet(session: Session, operator: Operator, count_in: StockCountCreate, counted_at: datetime) -> None:
    """Refuse a count already recorded (same lot, moment, quantity and unit): a form sent twice
    would otherwise be two counts of one inspection."""
    same = session.execute(
        select(StockCount.id, StockCount.counted_by).where(
            StockCount.operator_id == operator.id, StockCount.lot_ref == count_in.lot_ref,
            StockCount.counted_at == counted_at, StockCount.quantity == count_in.quantity,
            StockCount.unit == count_in.unit.upper(),
        )
    ).first()  # fmt: skip
    if same is not None:
        what = f"{count_in.quantity} {count_in.unit.upper()} of lot {count_in.lot_ref}"
        raise Conflict(f"count {same.id} by {same.counted_by} already records {what} at that moment")


def local_moment(session: Session, value: datetime | str, zone: Zone) -> datetime:
    """A moment as a person gave it: text read like a file value, a time without offset in the zone's time."""
    if isinstance(value, str):
        return zones.moment(session, value=value, zone_codes=[zone.code])
    return value.replace(tzinfo=ZoneInfo(zone.timezone)) if value.tzinfo is None else value


def checked_quantity(quantity: Decimal, unit: str) -> str:
    """``unit`` in upper case, if ftz knows it and ``quantity`` in it fits one record (``InvalidInput`` otherwise)."""
    unit = unit.upper()
    if unit not in UNITS:
        raise InvalidInput(f'unit: "{unit}" is not a UN/ECE Recommendation 20 code this system knows')
    if not fits(quantity, unit):
        raise InvalidInput(f"quantity: {quantity} {unit} {too_large_reason(unit)}")
    return unit


def store_count(
    session: Session,
    *,
    operator: Operator,
    lot_ref: str,
    counted_at: datetime,
    quantity: Decimal,
    unit: str,
    counted_by: str,
    note: str | None = None,
    details: dict | None = None,
    booked: bool = True,
) -> StockCount:
    """A customs count of a lot, stored, sealed and audited (``details`` added to the event). The
    unit must convert to the one the lot is booked in; with ``booked``, the lot must exist."""
    unit = checked_quantity(quantity, unit)
    lot_unit = session.execute(
        select(Movement.unit)
        .where(Movement.operator_id == operator.id, Movement.lot_ref == lot_ref)
        .order_by(Movement.occurred_at, Movement.id)
        .limit(1)
    ).scalar_one_or_none()
    if lot_unit is None and booked:
        raise NotFound(f"no lot {lot_ref} of operator {operator.code}")
    if lot_unit is not None and UNITS[unit][0] != UNITS[lot_unit][0]:
        raise InvalidInput(f"unit: {unit} cannot be converted to {lot_unit}, the unit the lot is booked in")
    _seen_already(counted_at, ZoneInfo(session.get(Zone, operator.zone_id).timezone))
    count = StockCount(operator_id=operator.id, lot_ref=lot_ref, counted_at=counted_at, quantity=quantity, unit=unit,
                       counted_by=counted_by, note=note)  # fmt: skip
    session.add(count)
    session.flush()
    audit.record(
        session,
        actor=counted_by,
        action="count.recorded",
        subject=f"count:{count.id}",
        operator_id=operator.id,
        zone_id=operator.zone_id,
        details={
            "lot_ref": lot_ref, "quantity": count.quantity, "unit": unit, "counted_at": counted_at, **(details or {}),
            "stored": seal.seal_row(session.connection(), "stock_count", count.id),  # for ftz audit verify
        },
    )  # fmt: skip
    return count


def _seen_already(counted_at: datetime, timezone: ZoneInfo) -> None:
    """A count records what was on hand: refuse one dated after today (the zone's day; a bare
    date of today, read as its end, is today)."""
    today = utcnow().astimezone(timezone).date()
    if counted_at.astimezone(timezone).date() > today:
        raise InvalidInput(f"counted_at: {counted_at.astimezone(timezone):%Y-%m-%d %H:%M} is after today ({today})")


def get_all_counts(
    session: Session, *, caller: Caller, operator_code: str | None = None, lot_ref: str | None = None
) -> list[StockCountPublic]:
    """Counts customs recorded, within the caller's scope."""
    caller.require(Permission.REVIEW)
    query = (
        select(StockCount, Operator.code)
        .join(Operator, Operator.id == StockCount.operator_id)
        .where(visible(caller, StockCount))
        .order_by(StockCount.id.desc())
    )
    if operator_code:
        query = query.where(Operator.code == operator_code.strip().upper())
    if lot_ref:
        query = query.where(StockCount.lot_ref == lot_ref)
    return [_count(c, code) for c, code in session.execute(query.limit(1000)).all()]


def _one_lot(engine: Engine, operator: Operator, lot_ref: str) -> LotPublic:
    balances = get_lot_balances(engine, operator_id=operator.id, lot_ref=lot_ref)
    row = balances.to_dict("records")[0]
    return _lot(row, {operator.id: operator.code})


def _lot(row: dict, operators: dict[int, str]) -> LotPublic:
    codes = row.get("control_codes")
    return LotPublic(
        operator_code=operators[row["operator_id"]],
        lot_ref=row["lot_ref"],
        balance=row["balance"],
        unit=row["unit"],
        hs_code=row["hs_code"] if isinstance(row["hs_code"], str) else None,
        hs_description=row["hs_description"],
        strategic=bool(row["strategic"]) if not pd.isna(row["strategic"]) else False,
        basis=row.get("basis") or None,
        control_codes=[c for c in codes.split(",") if c] if isinstance(codes, str) else [],
    )


def _superseded(movement: Movement, moves: list[Movement], corrected: set[str]) -> bool:
    """Whether a later row corrects this one (the correction stands in its place)."""
    later = [m for m in moves if m.corrects_ref == movement.movement_ref and m.id != movement.id]
    return movement.movement_ref in corrected and any(m.id > movement.id for m in later)


def _count(count: StockCount, operator_code: str) -> StockCountPublic:
    return StockCountPublic.model_validate(count, update={"operator_code": operator_code})


def get_lineage(
    session: Session, *, caller: Caller, operator_code: str, lot_ref: str | None = None, process_ref: str | None = None
) -> list[dict]:
    """The processing operations a lot went into or came out of (or one operation): for each,
    its input lots and output lots with the quantities booked, as they stand after corrections."""
    caller.require(Permission.READ)
    operator = operator_in_scope(session, caller, operator_code)
    steps = select(Movement).where(
        Movement.operator_id == operator.id, Movement.movement_type.in_(["CONSUME", "PRODUCE"])
    )
    if process_ref:
        processes = {process_ref}
    else:
        of_lot = steps.with_only_columns(Movement.process_ref).where(Movement.lot_ref == lot_ref)
        processes = set(session.execute(of_lot).scalars())
    processes.discard(None)
    if not processes:
        return []
    rows = list(session.execute(steps.where(Movement.process_ref.in_(processes)).order_by(Movement.id)).scalars())
    corrected = {m.corrects_ref for m in rows if m.corrects_ref}
    current = [m for m in rows if not _superseded(m, rows, corrected)]
    lineage = []
    for ref in sorted(processes):
        moves = [m for m in current if m.process_ref == ref]
        lineage.append(
            {
                "process_ref": ref,
                "inputs": [(m.lot_ref, m.quantity, m.unit) for m in moves if m.movement_type == "CONSUME"],
                "outputs": [(m.lot_ref, m.quantity, m.unit) for m in moves if m.movement_type == "PRODUCE"],
            }
        )
    return lineage
