"""Lots with their balances and history; counts recorded by customs."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ftz.deps import CallerDep, DbDep, EngineDep
from ftz.ledger import lots
from ftz.ledger.models import LotHistory, LotPublic, StockCountCreate, StockCountPublic

router = APIRouter(tags=["lots"])


@router.get(
    "/lots", response_model=list[LotPublic], summary="Lots with their book balance, a page at a time (see X-Next-After)"
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


@router.get(
    "/lots/{operator_code}/{lot_ref}",
    response_model=LotHistory,
    summary="A lot: balance, and every movement, customs item and count on it",
)
def get_lot(operator_code: str, lot_ref: str, caller: CallerDep, engine: EngineDep):
    return lots.get_history(engine, caller=caller, operator_code=operator_code, lot_ref=lot_ref)


@router.post(
    "/counts", status_code=201, response_model=StockCountPublic, summary="Record a count found at an inspection"
)
def record_count(body: StockCountCreate, db: DbDep, caller: CallerDep):
    count = lots.record_count(db, caller=caller, count_in=body)
    db.commit()
    return count


@router.get("/counts", response_model=list[StockCountPublic], summary="Counts recorded by customs")
def list_counts(db: DbDep, caller: CallerDep, operator: str | None = None, lot_ref: str | None = None):
    return lots.get_all_counts(db, caller=caller, operator_code=operator, lot_ref=lot_ref)
