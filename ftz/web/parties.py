"""The parties page: an auditor searches a name against the denied-party list in force."""

from fastapi import APIRouter, Request
from sqlmodel import Session

from ftz.auth.scope import Permission
from ftz.deps import EngineDep, WebCallerDep
from ftz.parties import service as parties
from ftz.reference.models import ListKind
from ftz.reference.service import get_all
from ftz.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/parties")
def parties_page(request: Request, caller: WebCallerDep, engine: EngineDep, name: str = ""):
    caller.require(Permission.REVIEW)
    result = parties.screen(engine, caller=caller, name=name) if name.strip() else None
    with Session(engine) as session:
        versions = get_all(session, kind=ListKind.PARTIES)
    context = {"name": name, "result": result, "version": versions[0] if versions else None}
    return render(request, "parties/screen.html", context, block="results")
