"""The licence register: the licensing authority sends batches through customs' channel (an
ADMIN session or a customs:write token); customs reads every licence in force with its usage,
an operator the licences it holds, without usage."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ftz.api.uploads import _body, _spooled
from ftz.auth.scope import Permission
from ftz.config import get_settings
from ftz.deps import CallerDep, EngineDep
from ftz.licences import service as licences
from ftz.licences.schemas import LicenceForOperator, LicenceImport, LicencePublic
from ftz.problems import problem

router = APIRouter(prefix="/licences", tags=["licences"])

_EXAMPLE = [
    {
        "licence_ref": "AE-DU-2026-00002", "version": 1, "status": "VALID", "holder": "OP101",
        "issued_at": "2026-07-25", "valid_until": "2027-02-01", "control_codes": "1C202;1C350",
        "destination_countries": "PK;DE", "quantity": "7511", "unit": "KGM", "authority": "Export Control Office",
    }
]  # fmt: skip


@router.get(
    "",
    response_model=list[LicencePublic] | list[LicenceForOperator],
    summary="Licences in force, with their versions (customs: and their usage; an operator: its own)",
)
def list_licences(
    caller: CallerDep,
    engine: EngineDep,
    holder: Annotated[str | None, Query(max_length=32, description="Only this operator's")] = None,
):
    return licences.get_all(engine, caller=caller, holder=holder)


@router.post(
    "",
    status_code=201,
    response_model=LicenceImport,
    summary="Send a batch of licence versions: all of it, or on any error none",
    openapi_extra=_body(_EXAMPLE),
    responses={422: {"description": "Rejected: every row's errors, nothing stored"}},
)
async def send_licences(
    request: Request,
    caller: CallerDep,
    engine: EngineDep,
    filename: Annotated[str | None, Query(max_length=255, description="The batch's name in the audit trail")] = None,
):
    caller.require(Permission.SEND_CUSTOMS)  # before reading the body
    async with _spooled(request) as (source, name):
        batch = await run_in_threadpool(
            licences.create, engine, caller=caller, source=source, filename=filename or name
        )
    if batch.accepted:
        body = LicenceImport.model_validate(batch, from_attributes=True)
        return JSONResponse(body.model_dump(mode="json"), status_code=201)
    errors = [{"row": e.row, "column": e.column, "message": e.message} for e in batch.errors]
    keep = get_settings().report_max_errors
    return problem(422, "Licences rejected", batch.summary(), error_count=len(errors), errors=errors[:keep])
