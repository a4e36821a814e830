"""Upload pages: send a movements file (or, for customs, a batch), read its report, download
its errors and the original file."""

import csv
import io

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from ftz.auth.models import Role
from ftz.deps import BeforeId, DbDep, EngineDep, RecordId, WebCallerDep, check_web_csrf
from ftz.discrepancies.export import safe_cell
from ftz.errors import InvalidInput
from ftz.ingest import service as ingest
from ftz.profiles import selectivity
from ftz.web.pages import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_web_csrf)])


_PAGE = 100  # uploads per page of the history


@router.get("/uploads")
def uploads_page(request: Request, db: DbDep, caller: WebCallerDep, before: BeforeId = None):
    uploads = ingest.get_all(db, caller=caller, before=before, limit=_PAGE + 1)  # one more: is there an older page
    older = uploads[_PAGE - 1][0].id if len(uploads) > _PAGE else None
    return render(request, "ingest/uploads.html", {"uploads": uploads[:_PAGE], "older": older, "before": before})


@router.post("/uploads")
async def send(request: Request, file: UploadFile, caller: WebCallerDep, engine: EngineDep):
    if not file.filename:
        raise InvalidInput("choose a file to send")
    verb = ingest.send_movements if caller.role == Role.OPERATOR else selectivity.send_customs
    report = await run_in_threadpool(verb, engine, caller=caller, source=file.file, filename=file.filename)
    response = RedirectResponse(f"/uploads/{report.upload_id}", status_code=303)
    if request.headers.get("HX-Request"):
        response = Response(status_code=204, headers={"HX-Redirect": f"/uploads/{report.upload_id}"})
    return flash(response, report.summary()) if report.accepted else response


@router.get("/uploads/{upload_id}")
def report_page(request: Request, upload_id: RecordId, db: DbDep, caller: WebCallerDep):
    upload, operator_code = ingest.get(db, caller=caller, upload_id=upload_id)
    return render(request, "ingest/report.html", {"upload": upload, "operator_code": operator_code})


@router.get("/uploads/{upload_id}/errors.csv")
def errors_csv(upload_id: RecordId, db: DbDep, caller: WebCallerDep):
    upload, _ = ingest.get(db, caller=caller, upload_id=upload_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "column", "message"])
    for error in upload.errors:
        writer.writerow([error["row"], safe_cell(error["column"]), safe_cell(error["message"])])
    name = f"upload-{upload.id}-errors.csv"
    return Response(
        buffer.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/uploads/{upload_id}/original")
def original(upload_id: RecordId, db: DbDep, caller: WebCallerDep):
    path, upload = ingest.get_file(db, caller=caller, upload_id=upload_id)
    return FileResponse(path, media_type="application/octet-stream", filename=upload.filename)
