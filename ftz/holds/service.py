"""Holds on lots: customs places and releases them (audited); the operator of a held lot sees
since when it is held and whether it was released, never why or by whom."""

from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.auth.models import Role
from ftz.auth.scope import Caller, Permission, get_visible, operator_in_scope, visible
from ftz.database import utcnow
from ftz.errors import Conflict, InvalidInput, NotFound
from ftz.holds.models import Hold
from ftz.holds.schemas import HoldCreate, HoldForOperator, HoldPublic, HoldRelease
from ftz.ledger.models import CustomsEntry, Movement
from ftz.zones import service as zones
from ftz.zones.models import Operator


def get_all(
    session: Session,
    *,
    caller: Caller,
    operator_code: str | None = None,
    lot_ref: str | None = None,
    active: bool = False,
) -> list[HoldPublic] | list[HoldForOperator]:
    """The holds the caller may see, newest first (``active``: those not released, or whose
    release is still to come), as customs or as the operator reads them."""
    caller.require(Permission.READ)
    query = select(Hold, Operator.code).join(Operator, Operator.id == Hold.operator_id).where(visible(caller, Hold))
    if operator_code:
        query = query.where(Hold.operator_id == operator_in_scope(session, caller, operator_code).id)
    if lot_ref is not None:
        query = query.where(Hold.lot_ref == lot_ref)
    if active:
        query = query.where(or_(Hold.released_at.is_(None), Hold.released_at > utcnow()))
    rows = session.execute(query.order_by(Hold.id.desc()).limit(5000)).all()
    return [_public(hold, code, caller) for hold, code in rows]


def get_held(session: Session, *, operator_ids: set[int]) -> set[tuple[int, str]]:
    """The (operator, lot) pairs of these operators that a hold is on now."""
    now = utcnow()
    query = select(Hold.operator_id, Hold.lot_ref).where(
        Hold.operator_id.in_(operator_ids),
        Hold.starts_at <= now,
        or_(Hold.released_at.is_(None), Hold.released_at > now),
    )
    return {(operator_id, lot_ref) for operator_id, lot_ref in session.execute(query).all()}


def create(session: Session, *, caller: Caller, hold_in: HoldCreate) -> HoldPublic:
    """Place a hold on a lot the operator's records or customs' items name, from now or from
    the moment given."""
    caller.require(Permission.INVESTIGATE)
    operator = operator_in_scope(session, caller, hold_in.operator_code)
    lot_ref, reason = hold_in.lot_ref.strip(), _reason(hold_in.reason)
    named = or_(
        exists().where(Movement.operator_id == operator.id, Movement.lot_ref == lot_ref),
        exists().where(CustomsEntry.operator_id == operator.id, CustomsEntry.lot_ref == lot_ref),
    )
    if not session.execute(select(named)).scalar():
        raise NotFound(f"no lot {lot_ref} of operator {operator.code}: no movement or customs item names it")
    placed_at = utcnow()
    starts_at = _moment(session, operator, hold_in.starts_at) or placed_at
    hold = Hold(operator_id=operator.id, lot_ref=lot_ref, reason=reason, placed_by=caller.name,
                placed_at=placed_at, starts_at=starts_at)  # fmt: skip
    session.add(hold)
    session.flush()
    details = {"lot_ref": lot_ref, "starts_at": starts_at, "reason": reason}
    audit.record(session, actor=caller.name, action="hold.placed", subject=f"hold:{hold.id}", operator_id=operator.id,
                 zone_id=operator.zone_id, details=details)  # fmt: skip
    return _public(hold, operator.code, caller)


def release(session: Session, *, caller: Caller, hold_id: int, release_in: HoldRelease) -> HoldPublic:
    """End a hold, now or at the moment given (not before it started)."""
    caller.require(Permission.INVESTIGATE)
    hold = get_visible(session, caller, Hold, hold_id, what="hold")
    operator = session.get(Operator, hold.operator_id)
    if hold.released_at is not None:
        when = hold.released_at.strftime("%Y-%m-%d %H:%M UTC")
        raise Conflict(f"hold {hold.id} was already released, at {when} by {hold.released_by}")
    reason = _reason(release_in.reason)
    recorded_at = utcnow()
    released_at = _moment(session, operator, release_in.released_at) or recorded_at
    if released_at < hold.starts_at:
        raise InvalidInput(
            f"the release ({released_at:%Y-%m-%d %H:%M} UTC) cannot come before the hold's start "
            f"({hold.starts_at:%Y-%m-%d %H:%M} UTC)"
        )
    hold.released_at, hold.released_by, hold.release_reason = released_at, caller.name, reason
    hold.release_recorded_at = recorded_at
    session.add(hold)
    session.flush()
    details = {"lot_ref": hold.lot_ref, "released_at": released_at, "reason": reason}
    audit.record(session, actor=caller.name, action="hold.released", subject=f"hold:{hold.id}",
                 operator_id=operator.id, zone_id=operator.zone_id, details=details)  # fmt: skip
    return _public(hold, operator.code, caller)


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise InvalidInput("reason: say why (it is kept in the audit trail, never shown to the operator)")
    return reason


def _moment(session: Session, operator: Operator, value: str | None) -> datetime | None:
    """A moment typed for a hold, in the operator's zone; None when none was typed."""
    if value is None or not value.strip():
        return None
    zone = zones.get_zone_code(session, zone_id=operator.zone_id)
    moment = zones.moment(session, value=value, zone_codes=[zone], day_start=True)
    if not 1970 <= moment.year <= 2199:  # what the ledger and the engine's frames hold
        raise InvalidInput(f'"{value}" lies outside the years 1970 to 2199')
    return moment


def _public(hold: Hold, operator_code: str, caller: Caller) -> HoldPublic | HoldForOperator:
    """A hold as the caller may read it: customs' reasons and names are never an operator's."""
    released = hold.released_at is not None and hold.released_at <= utcnow()
    if caller.role == Role.OPERATOR:
        return HoldForOperator(id=hold.id, operator_code=operator_code, lot_ref=hold.lot_ref,
                               starts_at=hold.starts_at, released=released, released_at=hold.released_at)  # fmt: skip
    return HoldPublic.model_validate(hold, update={"operator_code": operator_code, "released": released})
