"""Screening a name against the denied-party list in force: customs' own work, never an operator's."""

from typing import Annotated

from fastapi import APIRouter, Query

from ftz.deps import CallerDep, EngineDep
from ftz.parties import service as parties
from ftz.parties.schemas import Screening

router = APIRouter(prefix="/parties", tags=["parties"])


@router.get(
    "/screen",
    response_model=Screening,
    summary="Screen a name against the denied-party list in force (auditors and administrators)",
    responses={403: {"description": "An operator (or a token without read scope) may not screen"}},
)
def screen(
    caller: CallerDep,
    engine: EngineDep,
    name: Annotated[str, Query(max_length=parties.MAX_QUERY, description="The name as written on a record")],
    zone: Annotated[str | None, Query(max_length=16, description="Use this zone's similarity threshold")] = None,
):
    return parties.screen(engine, caller=caller, name=name, zone_code=zone)
