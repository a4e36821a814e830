"""Lot pages: balances, one lot's timeline from both sides and its holds; auditors place and
release holds from the lot's page."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from ftz.deps import DbDep, EngineDep, RecordId, WebCallerDep, check_web_csrf
from ftz.errors import checked
from ftz.holds import lots
from ftz.holds import service as holds
from ftz.holds.schemas import HoldCreate, HoldRelease
from ftz.ledger import journey
from ftz.web.pages import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_web_csrf)])


@router.get("/lots")
def lots_page(
    request: Request,
    caller: WebCallerDep,
    engine: EngineDep,
    operator: str | None = None,
    strategic: bool = False,
    after: str | None = None,
):
    rows, next_after = lots.get_all(
        engine, caller=caller, operator_code=operator or None, strategic=True if strategic else None, after=after
    )
    context = {"lots": rows, "operator": operator or "", "strategic": strategic, "next_after": next_after}
    return render(request, "ledger/lots.html", context, block="rows")


@router.get("/lots/{operator_code}/{lot_ref:path}")  # a lot_ref may hold "/"
def lot_page(request: Request, operator_code: str, lot_ref: str, caller: WebCallerDep, engine: EngineDep, db: DbDep):
    detail = lots.get(engine, caller=caller, operator_code=operator_code, lot_ref=lot_ref)
    trip = journey.get(db, caller=caller, operator_code=operator_code, lot_ref=lot_ref)
    return render(request, "ledger/lot.html", {"history": detail, "journey": trip})


@router.post("/holds")
def place_hold(
    db: DbDep,
    caller: WebCallerDep,
    operator_code: Annotated[str, Form(max_length=32)],
    lot_ref: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    starts_at: Annotated[str, Form(max_length=40)] = "",
):
    hold_in = checked(HoldCreate, operator_code=operator_code, lot_ref=lot_ref, reason=reason, starts_at=starts_at)
    hold = holds.create(db, caller=caller, hold_in=hold_in)
    db.commit()
    return flash(back_to(hold.operator_code, hold.lot_ref), f"Hold {hold.id} placed on lot {hold.lot_ref}")


@router.post("/holds/{hold_id}/release")
def release_hold(
    hold_id: RecordId,
    db: DbDep,
    caller: WebCallerDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    released_at: Annotated[str, Form(max_length=40)] = "",
):
    release_in = checked(HoldRelease, reason=reason, released_at=released_at)
    hold = holds.release(db, caller=caller, hold_id=hold_id, release_in=release_in)
    db.commit()
    return flash(back_to(hold.operator_code, hold.lot_ref), f"Hold {hold.id} released")


def back_to(operator_code: str, lot_ref: str) -> RedirectResponse:
    """To the lot's page (its operator and reference quoted whole)."""
    return RedirectResponse(f"/lots/{quote(operator_code, safe='')}/{quote(lot_ref, safe='')}", status_code=303)
