"""The risk profiles' page (customs only): the profiles in force with their open findings, every
version loaded, and the backtest of a file (upload a YAML file, read what it would hit)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from ftz.deps import DbDep, EngineDep, WebCallerDep, check_web_csrf
from ftz.discrepancies.backtest import backtest
from ftz.errors import InvalidInput
from ftz.profiles import service as profiles
from ftz.profiles.schemas import ProfileFileError
from ftz.web.pages import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_web_csrf)])
MAX_BYTES = 1024**2


def _context(db, caller) -> dict:
    return {
        "version": profiles.get(db, caller=caller),
        "versions": profiles.get_all(db, caller=caller),
        "hits": profiles.hit_counts(db, caller=caller),
    }


@router.get("/profiles")
def profiles_page(request: Request, db: DbDep, caller: WebCallerDep):
    return render(request, "profiles/profiles.html", _context(db, caller))


@router.post("/profiles/test")
async def backtest_page(
    request: Request,
    file: UploadFile,
    db: DbDep,
    engine: EngineDep,
    caller: WebCallerDep,
    since: Annotated[str, Form(max_length=10)] = "",
):
    context = _context(db, caller)
    text = await file.read(MAX_BYTES + 1)
    if not file.filename or len(text) > MAX_BYTES:
        raise InvalidInput(f"choose a profile file (YAML) of at most {MAX_BYTES:,} bytes")
    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        raise InvalidInput(f"since: {since!r} is not a date (YYYY-MM-DD)") from None
    try:
        result = await run_in_threadpool(backtest, engine, caller=caller, text=text, since=day)
        context |= {"backtest": result, "tested": file.filename}
    except ProfileFileError as exc:
        context |= {"refused": exc.errors, "tested": file.filename}
    return render(request, "profiles/profiles.html", context, status_code=200 if "backtest" in context else 422)
