"""The licence register's page: customs reads every licence in force with its usage, an
operator the licences it holds."""

from fastapi import APIRouter, Request

from ftz.deps import EngineDep, WebCallerDep
from ftz.licences import service as licences
from ftz.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/licences")
def licences_page(request: Request, caller: WebCallerDep, engine: EngineDep, holder: str | None = None):
    found = licences.get_all(engine, caller=caller, holder=holder or None)
    return render(request, "licences/licences.html", {"licences": found, "holder": holder or ""}, block="rows")
