"""Uploads: operators' movements and customs' entries in (file or JSON), reports and raw files out."""

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from sqlmodel import Session
from starlette.datastructures import UploadFile

from ftz.auth.scope import Permission
from ftz.config import get_settings
from ftz.deps import BeforeId, CallerDep, DbDep, EngineDep, RecordId
from ftz.errors import InvalidInput, TooLarge
from ftz.ingest import service as ingest
from ftz.ingest.models import Upload, UploadPublic
from ftz.ingest.pipeline import ImportReport
from ftz.problems import problem
from ftz.profiles import selectivity
from ftz.profiles.schemas import CustomsUploadPublic

router = APIRouter(prefix="/uploads", tags=["uploads"])

_MOVEMENT_EXAMPLE = [
    {
        "movement_ref": "M-0001", "movement_type": "ADMISSION", "occurred_at": "2026-11-20T08:00:00",
        "lot_ref": "L-2026-0042", "hs_code": "8112.92", "quantity": "1250.5", "unit": "KGM",
        "customs_ref": "26AE000123", "origin_country": "KR",
    }
]  # fmt: skip
_CUSTOMS_EXAMPLE = [
    {
        "declaration_ref": "26AE000123", "item_no": 1, "direction": "ADMISSION", "lodged_at": "2026-11-20T07:00:00",
        "zone_code": "ZDM", "operator_code": "OP101", "lot_ref": "L-2026-0042", "hs_code": "81129200",
        "quantity": "1250.5", "unit": "KGM", "origin_country": "KR",
    }
]  # fmt: skip


def _body(example: list[dict]) -> dict[str, Any]:
    """The request body as OpenAPI describes it: a file (multipart), a JSON array, or CSV text."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
                    "example": example,
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
                "text/csv": {"schema": {"type": "string"}, "example": ",".join(example[0]) + "\n"},
            },
        }
    }


_REJECTED = {
    422: {"description": "Rejected: every row's errors, nothing stored", "content": {"application/problem+json": {}}}
}
_TOO_LARGE = {
    413: {"description": "Past the configured size or row limit", "content": {"application/problem+json": {}}}
}


@router.post(
    "/movements",
    status_code=201,
    response_model=UploadPublic,
    summary="Send stock movements (the caller's operator's own)",
    openapi_extra=_body(_MOVEMENT_EXAMPLE),
    responses=_REJECTED | _TOO_LARGE,
)
async def send_movements(request: Request, caller: CallerDep, engine: EngineDep, filename: str | None = None):
    caller.require(Permission.SEND_MOVEMENTS)  # before reading the body
    async with _spooled(request) as (source, name):
        report = await run_in_threadpool(
            ingest.send_movements, engine, caller=caller, source=source, filename=filename or name
        )
    return _rendered(engine, caller, report)


@router.post(
    "/customs",
    status_code=201,
    response_model=CustomsUploadPublic,
    summary="Send a batch of customs entries",
    openapi_extra=_body(_CUSTOMS_EXAMPLE),
    responses=_REJECTED | _TOO_LARGE,
)
async def send_customs(request: Request, caller: CallerDep, engine: EngineDep, filename: str | None = None):
    caller.require(Permission.SEND_CUSTOMS)
    async with _spooled(request) as (source, name):
        report = await run_in_threadpool(
            selectivity.send_customs, engine, caller=caller, source=source, filename=filename or name
        )
    return _rendered(engine, caller, report)


@router.get("", response_model=list[UploadPublic], summary="Uploads the caller may see, newest first")
def list_uploads(
    db: DbDep,
    caller: CallerDep,
    kind: Annotated[str | None, Query(pattern="^(MOVEMENTS|CUSTOMS)$")] = None,
    before: BeforeId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    return [_public(u, code) for u, code in ingest.get_all(db, caller=caller, kind=kind, before=before, limit=limit)]


@router.get("/{upload_id}", response_model=UploadPublic, summary="One upload and its report")
def get_upload(upload_id: RecordId, db: DbDep, caller: CallerDep):
    return _public(*ingest.get(db, caller=caller, upload_id=upload_id))


@router.get(
    "/{upload_id}/file",
    summary="The raw file exactly as received",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_upload_file(upload_id: RecordId, db: DbDep, caller: CallerDep):
    path, upload = ingest.get_file(db, caller=caller, upload_id=upload_id)
    return FileResponse(path, media_type="application/octet-stream", filename=upload.filename)


@asynccontextmanager
async def _spooled(request: Request) -> AsyncIterator[tuple[BinaryIO, str]]:
    """The request body, or its multipart ``file`` part, as a seekable file and a name."""
    settings = get_settings()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=5)
        try:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                raise InvalidInput("multipart body without a file part named 'file'")
            part.file.seek(0)
            yield part.file, part.filename or "upload"
        finally:
            await form.close()
        return
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024**2) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > settings.upload_max_bytes:
                raise TooLarge(f"the file is larger than the {settings.upload_max_bytes:,} bytes allowed")
            spool.write(chunk)
        if size == 0:
            raise InvalidInput("the request has no body: send the file, or a JSON array of rows")
        spool.seek(0)
        yield spool, {"application/json": "upload.json", "text/csv": "upload.csv"}.get(content_type, "upload")


def _rendered(engine, caller, report: ImportReport):
    """An accepted upload as 201 with its report; a rejected one as a 422 problem naming every error."""
    if report.accepted:
        with Session(engine) as db:
            body = _public(*ingest.get(db, caller=caller, upload_id=report.upload_id)).model_dump(mode="json")
        if report.selectivity:  # customs items only (the customs import is customs' own): channel per item
            body["selectivity"] = [asdict(item) for item in report.selectivity]
        return JSONResponse(body, status_code=201)
    keep = get_settings().report_max_errors
    errors = [{"row": e.row, "column": e.column, "message": e.message} for e in report.errors[:keep]]
    return problem(
        422,
        "Upload rejected",
        f"{report.filename}: {len(report.errors)} errors; nothing was stored",
        upload_id=report.upload_id,
        error_count=len(report.errors),
        errors=errors,
    )


def _public(upload: Upload, operator_code: str | None) -> UploadPublic:
    return UploadPublic.model_validate(upload, update={"operator_code": operator_code})
