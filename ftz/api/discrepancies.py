"""Discrepancies: find (filters, cursor pages), read with notes, comment, decide; and runs."""

import logging
from datetime import date
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from ftz.api.deps import CallerDep, DbDep, EngineDep, RecordId
from ftz.discrepancies import review
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import (
    AssignmentCreate,
    CommentCreate,
    DecisionCreate,
    DiscrepancyDetail,
    DiscrepancyPage,
    DiscrepancyPublic,
    NotePublic,
    RunCreate,
    RunPublic,
    Status,
)

router = APIRouter(tags=["discrepancies"])
log = logging.getLogger("ftz.api")


@router.get("/discrepancies", response_model=DiscrepancyPage, summary="Discrepancies, highest risk first")
def list_discrepancies(
    db: DbDep,
    caller: CallerDep,
    kind: str | None = None,
    status: Status | None = None,
    severity: Annotated[str | None, Query(pattern="^(LOW|MEDIUM|HIGH|CRITICAL)$")] = None,
    zone: str | None = None,
    operator: str | None = None,
    lot_ref: str | None = None,
    strategic: bool | None = None,
    include_closed: bool = False,
    assignee: str | None = None,
    since: Annotated[date | None, Query(description="First seen on or after this day (UTC)")] = None,
    order: Annotated[str, Query(pattern="^(risk|newest)$")] = "risk",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    filters = review.Filters(
        kind, status, severity, zone, operator, lot_ref, strategic, include_closed, assignee, since, order
    )
    items, next_cursor = review.get_all(db, caller=caller, filters=filters, cursor=cursor, limit=limit)
    return DiscrepancyPage(items=review.public(db, items), next_cursor=next_cursor)


@router.post(
    "/discrepancies/assignments", response_model=list[DiscrepancyPublic], summary="Assign discrepancies to an auditor"
)
def assign(body: AssignmentCreate, db: DbDep, caller: CallerDep):
    found = review.assign(db, caller=caller, ids=body.ids, assignee=body.assignee)
    db.commit()
    return review.public(db, found)


@router.get("/discrepancies/{discrepancy_id}", response_model=DiscrepancyDetail, summary="One discrepancy")
def get_discrepancy(discrepancy_id: RecordId, db: DbDep, caller: CallerDep):
    discrepancy = review.get(db, caller=caller, discrepancy_id=discrepancy_id)
    notes = review.get_notes(db, caller=caller, discrepancy_id=discrepancy_id)
    public = review.public(db, [discrepancy])[0]
    return DiscrepancyDetail(**public.model_dump(), notes=[NotePublic.model_validate(n) for n in notes])


@router.post(
    "/discrepancies/{discrepancy_id}/comments",
    status_code=201,
    response_model=NotePublic,
    summary="Comment on a discrepancy",
)
def comment(discrepancy_id: RecordId, body: CommentCreate, db: DbDep, caller: CallerDep):
    note = review.comment(db, caller=caller, discrepancy_id=discrepancy_id, body=body.body)
    db.commit()
    return note


@router.post(
    "/discrepancies/{discrepancy_id}/decision",
    response_model=DiscrepancyPublic,
    summary="Decide: set the status, with the reason",
)
def decide(discrepancy_id: RecordId, body: DecisionCreate, db: DbDep, caller: CallerDep):
    discrepancy = review.decide(
        db, caller=caller, discrepancy_id=discrepancy_id, status=body.status, reason=body.reason
    )
    db.commit()
    return review.public(db, [discrepancy])[0]


@router.post(
    "/discrepancies/{discrepancy_id}/answers",
    status_code=201,
    response_model=NotePublic,
    summary="Answer a finding on the operator's own records (with a document, optionally)",
)
async def answer(
    discrepancy_id: RecordId,
    db: DbDep,
    caller: CallerDep,
    body: Annotated[str, Form(min_length=1, max_length=5000, examples=["the 10 kg were samples sent to the lab"])],
    file: UploadFile | None = None,
):
    attachment = (file.filename or "attachment", file.file) if file is not None and file.filename else None
    note = await run_in_threadpool(
        review.answer, db, caller=caller, discrepancy_id=discrepancy_id, body=body, attachment=attachment
    )
    db.commit()
    return note


@router.get(
    "/discrepancies/{discrepancy_id}/notes/{note_id}/attachment",
    summary="The document sent with an answer",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def attachment(discrepancy_id: RecordId, note_id: RecordId, db: DbDep, caller: CallerDep):
    path, name = review.get_attachment(db, caller=caller, discrepancy_id=discrepancy_id, note_id=note_id)
    return FileResponse(path, media_type="application/octet-stream", filename=name)


@router.get("/runs", response_model=list[RunPublic], summary="Reconciliation runs, newest first", tags=["runs"])
def list_runs(db: DbDep, caller: CallerDep, limit: Annotated[int, Query(ge=1, le=500)] = 50):
    return review.get_runs(db, caller=caller, limit=limit)


@router.get("/runs/{run_id}", response_model=RunPublic, summary="One run and its status", tags=["runs"])
def get_run(run_id: RecordId, db: DbDep, caller: CallerDep):
    return review.get_run(db, caller=caller, run_id=run_id)


@router.post(
    "/runs",
    status_code=202,
    response_model=RunPublic,
    summary="Start a reconciliation run; poll /runs/{id} for its outcome",
    tags=["runs"],
    responses={
        409: {
            "description": "A run is in progress (one at a time, scheduled or not): try again when it has finished",
            "content": {
                "application/problem+json": {
                    "example": {
                        "type": "about:blank",
                        "title": "Conflict",
                        "status": 409,
                        "detail": "a reconciliation is in progress (run 41, started 2026-11-24 02:00:00 UTC "
                        "by scheduler on ftz-1:4121): try again when it has finished",
                    }
                }
            },
        }
    },
)
def start_run(body: RunCreate, caller: CallerDep, engine: EngineDep, background: BackgroundTasks):
    started = review.start_run(engine, caller=caller, as_of=body.as_of, zone_code=body.zone_code, full=body.full)
    background.add_task(runs.execute_in_background, engine, started)
    return started.run
