"""Lot pages: balances, and one lot's timeline from both sides."""

from fastapi import APIRouter, Request

from ftz.deps import EngineDep, WebCallerDep
from ftz.ledger import lots
from ftz.web.pages import render

router = APIRouter(include_in_schema=False)


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


@router.get("/lots/{operator_code}/{lot_ref}")
def lot_page(request: Request, operator_code: str, lot_ref: str, caller: WebCallerDep, engine: EngineDep):
    history = lots.get_history(engine, caller=caller, operator_code=operator_code, lot_ref=lot_ref)
    return render(request, "ledger/lot.html", {"history": history})
