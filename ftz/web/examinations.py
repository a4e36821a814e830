"""Examinations' pages (customs only): the examinations RED items opened, with their reasons, and
the form an officer records the result with (quantity, goods found, note, a photo or document)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from ftz.deps import DbDep, RecordId, WebCallerDep, check_web_csrf
from ftz.errors import checked
from ftz.examinations import service as examinations
from ftz.examinations.schemas import ExaminationResult
from ftz.web.pages import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_web_csrf)])


@router.get("/examinations")
def examinations_page(request: Request, db: DbDep, caller: WebCallerDep, status: str | None = None):
    found = examinations.get_all(db, caller=caller, status=status if status in ("OPEN", "DONE") else None)
    return render(request, "examinations/examinations.html", {"examinations": found, "status": status or ""})


@router.get("/examinations/{examination_id}")
def examination_page(request: Request, examination_id: RecordId, db: DbDep, caller: WebCallerDep):
    exam = examinations.get(db, caller=caller, examination_id=examination_id)
    return render(request, "examinations/examination.html", {"exam": exam})


@router.post("/examinations/{examination_id}")
def record_result(
    examination_id: RecordId,
    db: DbDep,
    caller: WebCallerDep,
    quantity: Annotated[str, Form(max_length=40)],
    unit: Annotated[str, Form(max_length=3)],
    hs_code: Annotated[str, Form(max_length=14)],
    description: Annotated[str, Form(max_length=512)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    examined_at: Annotated[str, Form(max_length=40)] = "",
    attachment: UploadFile | None = None,
):
    result_in = checked(
        ExaminationResult, quantity=quantity, unit=unit, hs_code=hs_code, description=description or None,
        note=note or None, examined_at=examined_at or None,
    )  # fmt: skip
    upload = (attachment.file, attachment.filename) if attachment and attachment.filename else None
    exam = examinations.record_result(db, caller=caller, examination_id=examination_id, result_in=result_in,
                                      attachment=upload)  # fmt: skip
    db.commit()
    response = RedirectResponse(f"/examinations/{exam.id}", status_code=303)
    return flash(response, f"Examination {exam.id}: result recorded; the next run compares it with the books")
