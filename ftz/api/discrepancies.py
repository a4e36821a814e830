"""Discrepancies: find (filters, cursor pages), read with notes, comment, decide, ask the
operator; and runs. An operator reads only the findings it was asked about, and only their facts."""

import logging
from datetime import date
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from ftz.deps import CallerDep, DbDep, EngineDep, RecordId
from ftz.discrepancies import disclosure, reports, review
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import (
    AssignmentCreate,
    CommentCreate,
    DecisionCreate,
    DiscrepancyForCustoms,
    DiscrepancyForOperator,
    DiscrepancyForOperatorPage,
    DiscrepancyPage,
    DiscrepancyPublic,
    NotePublic,
    QuestionAsked,
    QuestionCreate,
    ReportFindingPublic,
    RunCreate,
    RunPublic,
    Status,
)

router = APIRouter(tags=["discrepancies"])
log = logging.getLogger("ftz.api")


@router.get(
    "/discrepancies",
    response_model=DiscrepancyPage | DiscrepancyForOperatorPage,
    summary="Discrepancies, highest risk first (to an operator: those it was asked about, facts only, newest first)",
)
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
    return disclosure.get_page(db, caller=caller, filters=filters, cursor=cursor, limit=limit)


@router.post(
    "/discrepancies/assignments", response_model=list[DiscrepancyPublic], summary="Assign discrepancies to an auditor"
)
def assign(body: AssignmentCreate, db: DbDep, caller: CallerDep):
    found = review.assign(db, caller=caller, ids=body.ids, assignee=body.assignee)
    db.commit()
    return review.public(db, found)


@router.get(
    "/discrepancies/{discrepancy_id}",
    response_model=DiscrepancyForCustoms | DiscrepancyForOperator,
    summary="One discrepancy (to an operator: its facts, the questions and its answers)",
)
def get_discrepancy(discrepancy_id: RecordId, db: DbDep, caller: CallerDep):
    return disclosure.get_detail(db, caller=caller, discrepancy_id=discrepancy_id)


@router.post(
    "/discrepancies/{discrepancy_id}/questions",
    status_code=201,
    response_model=QuestionAsked,
    summary="Ask the operator about a finding: from then on it sees the finding's facts, and answers",
    responses={
        409: {
            "description": "A kind of finding that would tip off a suspect is never put to the operator",
            "content": {
                "application/problem+json": {
                    "example": {
                        "type": "about:blank",
                        "title": "Conflict",
                        "status": 409,
                        "detail": "a DENIED_PARTY finding is never put to the operator: it would tip off a suspect",
                    }
                }
            },
        }
    },
)
def ask(discrepancy_id: RecordId, body: QuestionCreate, db: DbDep, caller: CallerDep):
    question = review.ask(db, caller=caller, discrepancy_id=discrepancy_id, question=body.question)
    db.commit()
    return question


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
        db, caller=caller, discrepancy_id=discrepancy_id, status=body.status, reason=body.reason,
        seen_status=body.seen_status,
    )  # fmt: skip
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


@router.get(
    "/runs/{run_id}/report",
    response_model=list[ReportFindingPublic],
    summary="The findings of a run as of a past moment (a report: the live discrepancies are untouched)",
    tags=["runs"],
)
def get_report(run_id: RecordId, db: DbDep, caller: CallerDep):
    return reports.get_report(db, caller=caller, run_id=run_id)


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
