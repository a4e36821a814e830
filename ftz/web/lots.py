"""Lot pages: balances, and one lot's timeline from both sides."""

from fastapi import APIRouter, Request

from ftz.deps import EngineDep, WebCallerDep
from ftz.ledger import lots
from ftz.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/lots")
def lots_page(
    request: Request, caller: WebCallerDep, engine: EngineDep, operator: str | None = None, strategic: bool = False
):
    rows = lots.get_all(engine, caller=caller, operator_code=operator or None, strategic=True if strategic else None)
    return render(request, "ledger/lots.html", {"lots": rows, "operator": operator or "", "strategic": strategic},
                  block="rows")  # fmt: skip


@router.get("/lots/{operator_code}/{lot_ref}")
def lot_page(request: Request, operator_code: str, lot_ref: str, caller: WebCallerDep, engine: EngineDep):
    history = lots.get_history(engine, caller=caller, operator_code=operator_code, lot_ref=lot_ref)
    return render(request, "ledger/lot.html", {"history": history})
