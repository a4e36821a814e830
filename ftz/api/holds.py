"""Holds on lots: customs lists, places and releases them; an operator lists those on its own
lots, since when and whether released, never why or by whom."""

from typing import Annotated

from fastapi import APIRouter, Query

from ftz.deps import CallerDep, DbDep, RecordId
from ftz.holds import service as holds
from ftz.holds.schemas import HoldCreate, HoldForOperator, HoldPublic, HoldRelease

router = APIRouter(prefix="/holds", tags=["holds"])


@router.get(
    "",
    response_model=list[HoldPublic] | list[HoldForOperator],
    summary="Holds, newest first (to an operator: those on its own lots, without customs' reasons)",
)
def list_holds(
    db: DbDep,
    caller: CallerDep,
    operator: Annotated[str | None, Query(max_length=32, description="Only this operator's")] = None,
    lot_ref: Annotated[str | None, Query(max_length=64, description="Only those on this lot")] = None,
    active: Annotated[bool, Query(description="Only those not released (or whose release is to come)")] = False,
):
    return holds.get_all(db, caller=caller, operator_code=operator, lot_ref=lot_ref, active=active)


@router.post("", status_code=201, response_model=HoldPublic, summary="Place a hold on a lot (auditors)")
def place_hold(body: HoldCreate, db: DbDep, caller: CallerDep):
    hold = holds.create(db, caller=caller, hold_in=body)
    db.commit()
    return hold


@router.post("/{hold_id}/release", response_model=HoldPublic, summary="Release a hold (auditors)")
def release_hold(hold_id: RecordId, body: HoldRelease, db: DbDep, caller: CallerDep):
    hold = holds.release(db, caller=caller, hold_id=hold_id, release_in=body)
    db.commit()
    return hold
