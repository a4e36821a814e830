"""Auditors' pages: dashboard, queue, a finding (evidence, decision, comments, questions to the
operator, history), runs, and counts found at an inspection. Operators reach here the findings
they were asked about, with their facts only, and answer them."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from ftz.auth.models import Role
from ftz.deps import DbDep, EngineDep, RecordId, WebCallerDep, check_web_csrf
from ftz.discrepancies import disclosure, export, review
from ftz.discrepancies import service as runs
from ftz.errors import InvalidInput, NotFound, checked
from ftz.ledger import lots
from ftz.ledger.models import StockCountCreate
from ftz.web.lots import back_to
from ftz.web.pages import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_web_csrf)])


@router.get("/")
def home(request: Request, caller: WebCallerDep):
    return RedirectResponse("/uploads" if caller.role == "OPERATOR" else "/dashboard", status_code=303)


@router.get("/dashboard")
def dashboard(request: Request, db: DbDep, caller: WebCallerDep):
    return render(request, "discrepancies/dashboard.html", review.summary(db, caller=caller))


@router.get("/discrepancies")
def queue(request: Request, db: DbDep, caller: WebCallerDep, cursor: str = ""):
    filters = _filters(request)
    page = disclosure.get_page(db, caller=caller, filters=filters, cursor=cursor or None, limit=50)
    query = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
    context = {"items": page.items, "next_cursor": page.next_cursor, "query": query}
    if caller.role == Role.OPERATOR:
        return render(request, "discrepancies/questions.html", context, block="rows")
    context |= {
        "filters": filters, "strategic": request.query_params.get("strategic", ""),
        "auditors": review.get_auditors(db, caller=caller),
    }  # fmt: skip
    return render(request, "discrepancies/queue.html", context, block="rows")


@router.get("/discrepancies/export.{extension}")
def export_queue(request: Request, extension: str, db: DbDep, caller: WebCallerDep):
    if extension not in ("csv", "xlsx"):
        raise NotFound(f"no export as {extension}: csv or xlsx")
    found = review.get_filtered(db, caller=caller, filters=_filters(request))
    records = [d.model_dump() for d in review.public(db, found)]
    content = export.to_csv(records).encode() if extension == "csv" else export.to_xlsx(records)
    media = "text/csv" if extension == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = f'attachment; filename="discrepancies.{extension}"'
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})


def _filters(request: Request) -> review.Filters:
    """The queue's filters, as the query string gives them."""
    q = request.query_params
    try:
        since = date.fromisoformat(q["since"]) if q.get("since") else None
    except ValueError:
        raise InvalidInput(f'since: "{q["since"]}" is not a date (YYYY-MM-DD)') from None
    assignee = request.state.caller.name if q.get("assignee") == "me" else q.get("assignee") or None
    return review.Filters(
        kind=q.get("kind") or None, status=q.get("status") or None, severity=q.get("severity") or None,
        zone=q.get("zone") or None, operator=q.get("operator") or None,
        strategic={"yes": True, "no": False}.get(q.get("strategic", "")), include_closed=q.get("status") == "CLOSED",
        assignee=assignee, since=since, order="newest" if q.get("order") == "newest" else "risk",
    )  # fmt: skip


@router.post("/discrepancies/assignments")
async def assign(request: Request, db: DbDep, caller: WebCallerDep):
    form = await request.form()
    ids = [int(i) for i in form.getlist("ids") if str(i).isdigit()]
    if not ids:
        raise InvalidInput("tick at least one discrepancy to assign")
    assignee = str(form.get("assignee", "")).strip() or None
    await run_in_threadpool(review.assign, db, caller=caller, ids=ids, assignee=assignee)
    db.commit()
    back = str(form.get("back", "/discrepancies"))
    target = back if back.startswith("/discrepancies") else "/discrepancies"
    return flash(RedirectResponse(target, status_code=303), f"{len(ids)} assigned to {assignee or 'nobody'}")


@router.get("/discrepancies/{discrepancy_id}")
def finding(request: Request, discrepancy_id: RecordId, db: DbDep, caller: WebCallerDep, engine: EngineDep):
    context = disclosure.get_finding(db, engine, caller=caller, discrepancy_id=discrepancy_id)
    template = "discrepancies/question.html" if caller.role == Role.OPERATOR else "discrepancies/finding.html"
    return render(request, template, context)


@router.post("/discrepancies/{discrepancy_id}/decision")
def decide(
    discrepancy_id: RecordId,
    db: DbDep,
    caller: WebCallerDep,
    status: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=5000)] = "",
    seen_status: Annotated[str, Form(max_length=16)] = "",
):
    review.decide(
        db, caller=caller, discrepancy_id=discrepancy_id, status=status, reason=reason, seen_status=seen_status or None
    )
    db.commit()
    return flash(RedirectResponse(f"/discrepancies/{discrepancy_id}", status_code=303), f"Decision recorded: {status}")


@router.post("/discrepancies/{discrepancy_id}/comments")
def comment(
    discrepancy_id: RecordId, db: DbDep, caller: WebCallerDep, body: Annotated[str, Form(max_length=5000)] = ""
):
    review.comment(db, caller=caller, discrepancy_id=discrepancy_id, body=body)
    db.commit()
    return flash(RedirectResponse(f"/discrepancies/{discrepancy_id}", status_code=303), "Comment added")


@router.post("/discrepancies/{discrepancy_id}/questions")
def ask(
    discrepancy_id: RecordId, db: DbDep, caller: WebCallerDep, question: Annotated[str, Form(max_length=5000)] = ""
):
    review.ask(db, caller=caller, discrepancy_id=discrepancy_id, question=question)
    db.commit()
    return flash(RedirectResponse(f"/discrepancies/{discrepancy_id}", status_code=303), "Question sent to the operator")


@router.post("/discrepancies/{discrepancy_id}/answers")
async def answer(
    discrepancy_id: RecordId,
    db: DbDep,
    caller: WebCallerDep,
    body: Annotated[str, Form(max_length=5000)] = "",
    file: UploadFile | None = None,
):
    attachment = (file.filename, file.file) if file is not None and file.filename else None
    await run_in_threadpool(
        review.answer, db, caller=caller, discrepancy_id=discrepancy_id, body=body, attachment=attachment
    )
    db.commit()
    return flash(RedirectResponse(f"/discrepancies/{discrepancy_id}", status_code=303), "Answer sent to customs")


@router.get("/discrepancies/{discrepancy_id}/notes/{note_id}/attachment")
def attachment(discrepancy_id: RecordId, note_id: RecordId, db: DbDep, caller: WebCallerDep):
    path, name = review.get_attachment(db, caller=caller, discrepancy_id=discrepancy_id, note_id=note_id)
    return FileResponse(path, media_type="application/octet-stream", filename=name)


@router.get("/runs")
def runs_page(request: Request, db: DbDep, caller: WebCallerDep):
    return render(request, "discrepancies/runs.html", review.runs_overview(db, caller=caller), block="table")


@router.post("/runs")
def start_run(
    caller: WebCallerDep,
    engine: EngineDep,
    background: BackgroundTasks,
    zone: Annotated[str, Form(max_length=32)] = "",
    full: Annotated[bool, Form()] = False,
):
    started = review.start_run(engine, caller=caller, as_of=None, zone_code=zone or None, full=full)
    background.add_task(runs.execute_in_background, engine, started)
    return flash(RedirectResponse("/runs", status_code=303), f"Run {started.run.id} started")


@router.post("/counts")
def record_count(
    db: DbDep,
    caller: WebCallerDep,
    operator_code: Annotated[str, Form(max_length=32)],
    lot_ref: Annotated[str, Form(max_length=64)],
    counted_at: Annotated[str, Form(max_length=40)],
    quantity: Annotated[str, Form(max_length=40)],
    unit: Annotated[str, Form(max_length=3)],
    note: Annotated[str, Form(max_length=1000)] = "",
):
    count_in = checked(
        StockCountCreate, operator_code=operator_code, lot_ref=lot_ref, counted_at=counted_at,
        quantity=quantity.strip(), unit=unit, note=note or None,
    )  # fmt: skip
    count = lots.record_count(db, caller=caller, count_in=count_in)
    db.commit()
    recorded = f"Count recorded: {count.quantity} {count.unit}; the next run compares it with the books"
    return flash(back_to(count.operator_code, count.lot_ref), recorded)
