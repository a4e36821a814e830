"""Lots with their balances, history and holds; counts recorded by customs."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ftz.deps import CallerDep, DbDep, EngineDep
from ftz.holds import lots
from ftz.holds.schemas import LotDetail, LotListed
from ftz.ledger import journey
from ftz.ledger import lots as ledger_lots
from ftz.ledger.models import StockCountCreate, StockCountPublic

router = APIRouter(tags=["lots"])


@router.get(
    "/lots", response_model=list[LotListed], summary="Lots with their book balance, a page at a time (see X-Next-After)"
)
def list_lots(
    response: Response,
    caller: CallerDep,
    engine: EngineDep,
    operator: str | None = None,
    strategic: bool | None = None,
    as_of: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Balances then (ISO 8601; without offset the zone's local time, a bare date the day's end)",
        ),
    ] = None,
    after: Annotated[
        str | None, Query(max_length=400, description="The X-Next-After header of the page before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
):
    found, next_after = lots.get_all(
        engine, caller=caller, operator_code=operator, strategic=strategic, as_of=as_of, after=after, limit=limit
    )
    if next_after:  # the body stays the list it always was; the next page's cursor rides in a header
        response.headers["X-Next-After"] = next_after
    return found


# before the lot's own route: a lot_ref may hold "/", and this path ends in /journey
@router.get(
    "/lots/{operator_code}/{lot_ref:path}/journey",
    response_model=journey.Journey,
    summary="The journey of a lot's goods across zones: each zone, dates, quantities, declarations, destinations",
)
def get_journey(operator_code: str, lot_ref: str, caller: CallerDep, db: DbDep):
    return journey.get(db, caller=caller, operator_code=operator_code, lot_ref=lot_ref)


@router.get(
    "/lots/{operator_code}/{lot_ref:path}",
    response_model=LotDetail,
    summary="A lot: balance, and every movement, customs item, count and hold on it",
)
def get_lot(operator_code: str, lot_ref: str, caller: CallerDep, engine: EngineDep):
    return lots.get(engine, caller=caller, operator_code=operator_code, lot_ref=lot_ref)


@router.post(
    "/counts", status_code=201, response_model=StockCountPublic, summary="Record a count found at an inspection"
)
def record_count(body: StockCountCreate, db: DbDep, caller: CallerDep):
    count = ledger_lots.record_count(db, caller=caller, count_in=body)
    db.commit()
    return count


@router.get("/counts", response_model=list[StockCountPublic], summary="Counts recorded by customs")
def list_counts(db: DbDep, caller: CallerDep, operator: str | None = None, lot_ref: str | None = None):
    return ledger_lots.get_all_counts(db, caller=caller, operator_code=operator, lot_ref=lot_ref)
