"""Risk profiles (contract section 8): customs reads the profiles in force, loads a new version,
and backtests a file. Never an operator's to read."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from ftz.deps import CallerDep, DbDep, EngineDep
from ftz.discrepancies.backtest import backtest
from ftz.errors import NotFound, TooLarge
from ftz.profiles import service as profiles
from ftz.profiles.schemas import BacktestPublic, ProfilePublic, ProfileVersionPublic

router = APIRouter(prefix="/profiles", tags=["profiles"])
MAX_BYTES = 1024**2  # a profile file is a page of YAML, not a data set
_EXAMPLE = """- code: RP-CWC-EMB
  title: CWC precursors to embargoed destinations
  severity: CRITICAL
  channel: RED
  when: {direction: REMOVAL, hs_prefixes: ["2812", "2920"], destination_tiers: [EMBARGOED]}
"""
_YAML = {
    "requestBody": {
        "required": True,
        "content": {"application/yaml": {"schema": {"type": "string"}, "example": _EXAMPLE}},
    }
}


async def _body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise TooLarge(f"a profile file is at most {MAX_BYTES:,} bytes")
    return body


def _public(version, hits: dict[str, int]) -> ProfileVersionPublic:
    return ProfileVersionPublic(
        version=version.version, filename=version.filename, loaded_by=version.loaded_by, loaded_at=version.loaded_at,
        profiles=[ProfilePublic(**{k: p.get(k) for k in ProfilePublic.model_fields if k != "open_hits"},
                                open_hits=hits.get(p["code"], 0)) for p in version.profiles],
    )  # fmt: skip


@router.get("", response_model=ProfileVersionPublic, summary="The risk profiles in force, with their open findings")
def get_profiles(db: DbDep, caller: CallerDep):
    version = profiles.get(db, caller=caller)
    if version is None:
        raise NotFound("no risk profiles loaded")
    return _public(version, profiles.hit_counts(db, caller=caller))


@router.post(
    "",
    status_code=201,
    response_model=ProfileVersionPublic,
    openapi_extra=_YAML,
    summary="Load a profile file (YAML) as the new version in force, all or nothing (administrators)",
)
async def load_profiles(request: Request, db: DbDep, caller: CallerDep, filename: str = "profiles.yaml"):
    body = await _body(request)

    def load():  # parses and checks the file, then writes: off the event loop
        version = profiles.create(db, caller=caller, text=body, filename=filename)
        db.commit()
        return _public(version, {})

    return await run_in_threadpool(load)


@router.post("/test", response_model=BacktestPublic, openapi_extra=_YAML,
             summary="How many stored customs items each profile of a file would hit; stores nothing")  # fmt: skip
async def test_profiles(
    request: Request,
    engine: EngineDep,
    caller: CallerDep,
    since: Annotated[date | None, Query(description="Only items lodged on or after this day")] = None,
):
    body = await _body(request)
    result = await run_in_threadpool(backtest, engine, caller=caller, text=body, since=since)
    return BacktestPublic(counts=result.counts, examples=result.examples, since=result.since)
