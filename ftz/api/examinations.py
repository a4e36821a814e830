"""Examinations of RED items' lots: customs lists them and records the result (JSON, or a form
with a photo or document). Never an operator's to read."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from ftz.deps import CallerDep, DbDep, RecordId
from ftz.errors import InvalidInput, checked
from ftz.examinations import service as examinations
from ftz.examinations.schemas import ExaminationPublic, ExaminationResult

router = APIRouter(prefix="/examinations", tags=["examinations"])


@router.get("", response_model=list[ExaminationPublic], summary="Examinations, newest first (customs)")
def list_examinations(
    db: DbDep,
    caller: CallerDep,
    status: Annotated[str | None, Query(pattern="^(OPEN|DONE)$", description="Only open or done ones")] = None,
):
    return examinations.get_all(db, caller=caller, status=status)


@router.get("/{examination_id}", response_model=ExaminationPublic, summary="One examination (customs)")
def get_examination(examination_id: RecordId, db: DbDep, caller: CallerDep):
    return examinations.get(db, caller=caller, examination_id=examination_id)


@router.post(
    "/{examination_id}/result",
    response_model=ExaminationPublic,
    summary="Record an examination's result (auditors): JSON, or a multipart form with an attachment",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": ExaminationResult.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "quantity": {"type": "string"},
                            "unit": {"type": "string"},
                            "hs_code": {"type": "string"},
                            "description": {"type": "string"},
                            "note": {"type": "string"},
                            "examined_at": {"type": "string"},
                            "attachment": {"type": "string", "format": "binary"},
                        },
                    }
                },
            },
        }
    },
)
async def record_result(examination_id: RecordId, request: Request, db: DbDep, caller: CallerDep):
    attachment = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str) and v != ""}
        upload = form.get("attachment")
        if upload is not None and not isinstance(upload, str) and upload.filename:
            attachment = (upload.file, upload.filename)
    else:
        try:
            fields = await request.json()
        except ValueError:
            raise InvalidInput("the body is not JSON (or send a multipart form)") from None
        if not isinstance(fields, dict):
            raise InvalidInput("the body is a JSON object: quantity, unit, hs_code, description, note, examined_at")
    result_in = checked(ExaminationResult, **{k: v for k, v in fields.items() if k in ExaminationResult.model_fields})

    def record():  # hashes and stores the attachment, then writes: off the event loop
        exam = examinations.record_result(db, caller=caller, examination_id=examination_id, result_in=result_in,
                                          attachment=attachment)  # fmt: skip
        db.commit()
        return exam

    return await run_in_threadpool(record)


@router.get("/{examination_id}/attachment", summary="The photo or document attached to a result (customs)")
def get_attachment(examination_id: RecordId, db: DbDep, caller: CallerDep):
    path, name, kind = examinations.attachment_path(db, caller=caller, examination_id=examination_id)
    return FileResponse(path, media_type=kind, filename=name)
