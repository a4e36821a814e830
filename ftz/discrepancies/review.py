"""What auditors do with discrepancies: find them, read them, comment, decide, ask the
operator. Always within the caller's scope: an operator finds only what it was asked about."""

import base64
import binascii
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, and_, func, or_, select
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.auth.models import AuditorZone, Role, User
from ftz.auth.scope import Caller, Permission, get_visible, visible
from ftz.config import get_settings
from ftz.database import MAX_ID, utcnow
from ftz.discrepancies import health
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import (
    Discrepancy,
    DiscrepancyNote,
    DiscrepancyPublic,
    NoteKind,
    Question,
    Run,
    RunOutcome,
    Status,
)
from ftz.errors import Conflict, InvalidInput, NotFound
from ftz.ingest import blobs
from ftz.text import has_control
from ftz.zones.models import Operator, Zone
from reconciliation.kinds import NOT_ASKABLE

# What a decision may set: every status. An auditor's CLOSED stays closed whatever later runs
# find; a run closes a finding the data no longer supports, and reopens it if it comes back.
DECISIONS = tuple(Status)


@dataclass
class Filters:
    kind: str | None = None
    status: str | None = None
    severity: str | None = None
    zone: str | None = None
    operator: str | None = None
    lot_ref: str | None = None
    strategic: bool | None = None
    include_closed: bool = False
    assignee: str | None = None
    since: date | None = None  # first seen on or after this day (UTC)
    order: str = "risk"  # or "newest"


def get_all(
    session: Session, *, caller: Caller, filters: Filters, cursor: str | None = None, limit: int = 50
) -> tuple[list[Discrepancy], str | None]:
    """A page of discrepancies, highest risk (then newest) first, and the cursor of the next page (None at the end).
    An operator sees those on its own records it was asked about, newest first."""
    caller.require(Permission.READ)
    if caller.role == Role.OPERATOR:
        filters = _operator_filters(filters)
    query = select(Discrepancy).where(visible(caller, Discrepancy))
    if filters.kind:
        query = query.where(Discrepancy.kind == filters.kind.upper())
    if filters.status:
        query = query.where(Discrepancy.status == filters.status.upper())
    elif not filters.include_closed:
        query = query.where(Discrepancy.status != Status.CLOSED)
    if filters.severity:
        query = query.where(Discrepancy.severity == filters.severity.upper())
    if filters.zone:
        query = query.where(Discrepancy.zone_id.in_(select(Zone.id).where(Zone.code == filters.zone.upper())))
    if filters.operator:
        query = query.where(
            Discrepancy.operator_id.in_(select(Operator.id).where(Operator.code == filters.operator.upper()))
        )
    if filters.lot_ref:
        query = query.where(Discrepancy.lot_ref == filters.lot_ref)
    if filters.strategic is not None:
        query = query.where(Discrepancy.strategic.is_(filters.strategic))
    if filters.assignee:
        query = query.where(Discrepancy.assignee == filters.assignee)
    if filters.since:
        query = query.where(Discrepancy.created_at >= datetime.combine(filters.since, time(), UTC))
    newest = filters.order == "newest"
    if cursor:
        score, ident = _decode(cursor)
        query = query.where(
            Discrepancy.id < ident
            if newest
            else or_(Discrepancy.risk_score < score, and_(Discrepancy.risk_score == score, Discrepancy.id < ident))
        )
    order = (Discrepancy.id.desc(),) if newest else (Discrepancy.risk_score.desc(), Discrepancy.id.desc())
    rows = list(session.execute(query.order_by(*order).limit(limit + 1)).scalars())
    page, more = rows[:limit], len(rows) > limit
    return page, _encode(page[-1], newest=newest) if more else None


def _operator_filters(filters: Filters) -> Filters:
    """An operator's filters: none that would reveal customs' assessment of its findings
    (severity, status, strategic, assignee, the order by risk); closed ones included."""
    if filters.severity or filters.status or filters.strategic is not None or filters.assignee:
        raise InvalidInput("an operator's findings are filtered by kind, lot and day only")
    return replace(filters, include_closed=True, order="newest")


def assign(session: Session, *, caller: Caller, ids: list[int], assignee: str | None) -> list[Discrepancy]:
    """Give discrepancies to an auditor (or take them back); each assignment is audited."""
    caller.require(Permission.INVESTIGATE)
    wanted = list(dict.fromkeys(ids))
    beyond = [i for i in wanted if not 1 <= i <= MAX_ID]
    if beyond:
        raise NotFound(f"no discrepancy {beyond[0]}")
    query = select(Discrepancy).where(Discrepancy.id.in_(wanted), visible(caller, Discrepancy))
    by_id = {d.id: d for d in session.execute(query).scalars()}
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise NotFound(f"no discrepancy {missing[0]}")
    found = [by_id[i] for i in wanted]
    if assignee:
        account = session.execute(select(User).where(User.name == assignee)).scalar_one_or_none()
        if account is None or not account.active or account.role not in (Role.AUDITOR, Role.ADMIN):
            raise InvalidInput(f"{assignee} is not an auditor's active account")
        zones = set(session.execute(select(AuditorZone.zone_id).where(AuditorZone.user_id == account.id)).scalars())
        outside = [d.id for d in found if zones and d.zone_id not in zones]
        if outside:
            raise InvalidInput(f"{assignee} does not work the zone of discrepancies {outside}")
    for discrepancy in found:
        if discrepancy.assignee != assignee:
            _audit(session, caller, "discrepancy.assigned", discrepancy, {"from": discrepancy.assignee, "to": assignee})
            discrepancy.assignee, discrepancy.updated_at = assignee, utcnow()
            session.add(discrepancy)
    session.flush()
    return found


def get_auditors(session: Session, *, caller: Caller) -> list[str]:
    """The active auditors' and administrators' account names, for assigning work."""
    caller.require(Permission.INVESTIGATE)
    query = select(User.name).where(User.active.is_(True), User.role.in_([Role.AUDITOR, Role.ADMIN]))
    if not caller.sees_everything:
        # A zone auditor sees those who may work its zones: auditors of one of them, and those
        # bound to no zone (every zone); never the auditors of other zones alone.
        bound = select(AuditorZone.user_id)
        sharing = bound.where(AuditorZone.zone_id.in_(caller.zone_ids or ()))
        query = query.where(or_(User.id.not_in(bound), User.id.in_(sharing)))
    return list(session.execute(query.order_by(User.name)).scalars())


def get_filtered(session: Session, *, caller: Caller, filters: Filters, most: int = 100_000) -> list[Discrepancy]:
    """Every discrepancy the filters select (up to ``most``), in queue order, for an export
    (customs' own: it carries the risk assessment)."""
    caller.require(Permission.REVIEW)
    found, cursor = [], None
    while len(found) < most:
        page, cursor = get_all(session, caller=caller, filters=filters, cursor=cursor, limit=5_000)
        found += page
        if cursor is None:
            break
    return found[:most]


def get(session: Session, *, caller: Caller, discrepancy_id: int) -> Discrepancy:
    """One discrepancy the caller may see (else not found)."""
    caller.require(Permission.READ)
    return get_visible(session, caller, Discrepancy, discrepancy_id, what="discrepancy")


def get_notes(session: Session, *, caller: Caller, discrepancy_id: int) -> list[DiscrepancyNote]:
    """Comments, decisions and answers on a discrepancy, oldest first (an operator's answers only, to an operator)."""
    get(session, caller=caller, discrepancy_id=discrepancy_id)
    query = select(DiscrepancyNote).where(
        DiscrepancyNote.discrepancy_id == discrepancy_id, visible(caller, DiscrepancyNote)
    )
    return list(session.execute(query.order_by(DiscrepancyNote.id)).scalars())


def get_questions(session: Session, *, caller: Caller, discrepancy_id: int) -> list[Question]:
    """The questions put to the operator about a discrepancy, oldest first."""
    get(session, caller=caller, discrepancy_id=discrepancy_id)
    query = select(Question).where(Question.discrepancy_id == discrepancy_id, visible(caller, Question))
    return list(session.execute(query.order_by(Question.id)).scalars())


def ask(session: Session, *, caller: Caller, discrepancy_id: int, question: str) -> Question:
    """Put a finding to its operator as a question: from then on the operator sees the
    finding's facts (never customs' assessment) and answers it."""
    caller.require(Permission.INVESTIGATE)
    discrepancy = get(session, caller=caller, discrepancy_id=discrepancy_id)
    if discrepancy.kind in NOT_ASKABLE:
        raise Conflict(f"a {discrepancy.kind} finding is never put to the operator: it would tip off a suspect")
    asked = Question(discrepancy_id=discrepancy.id, asked_by=caller.name, body=_text(question, "question"))
    session.add(asked)
    session.flush()
    _audit(session, caller, "discrepancy.asked", discrepancy, {"question": asked.id, "body": asked.body})
    return asked


def comment(session: Session, *, caller: Caller, discrepancy_id: int, body: str) -> DiscrepancyNote:
    """Add an auditor's comment."""
    caller.require(Permission.INVESTIGATE)
    discrepancy = get(session, caller=caller, discrepancy_id=discrepancy_id)
    note = DiscrepancyNote(
        discrepancy_id=discrepancy.id, kind=NoteKind.COMMENT, author=caller.name, body=_text(body, "comment")
    )
    session.add(note)
    session.flush()
    _audit(session, caller, "discrepancy.commented", discrepancy, {"note": note.id, "body": note.body})
    return note


def answer(
    session: Session,
    *,
    caller: Caller,
    discrepancy_id: int,
    body: str,
    attachment: tuple[str, BinaryIO] | None = None,
) -> DiscrepancyNote:
    """The operator's explanation of a finding on its records it was asked about, with a
    document if it has one (kept by sha256, like uploads)."""
    caller.require(Permission.ANSWER)
    discrepancy = get(session, caller=caller, discrepancy_id=discrepancy_id)
    note = DiscrepancyNote(
        discrepancy_id=discrepancy.id, kind=NoteKind.ANSWER, author=caller.name, body=_text(body, "answer")
    )
    if attachment is not None:
        name, stream = attachment
        blobs.document_type(stream, name or "")
        settings = get_settings()
        blob = blobs.store(stream, settings.data_dir, settings.upload_max_bytes)
        note.attachment_name, note.attachment_sha256 = (name or "attachment")[:255], blob.sha256
    session.add(note)
    session.flush()
    details = {"note": note.id, "body": note.body, "attachment": note.attachment_name, "sha256": note.attachment_sha256}
    _audit(session, caller, "discrepancy.answered", discrepancy, details)
    return note


def get_attachment(session: Session, *, caller: Caller, discrepancy_id: int, note_id: int) -> tuple[Path, str]:
    """Where a note's document is kept, and its name; for those who may see the discrepancy."""
    get(session, caller=caller, discrepancy_id=discrepancy_id)
    note = session.execute(
        select(DiscrepancyNote).where(DiscrepancyNote.id == note_id, visible(caller, DiscrepancyNote))
    ).scalar_one_or_none()
    if note is None or note.discrepancy_id != discrepancy_id or not note.attachment_sha256:
        raise NotFound(f"no document on note {note_id}")
    return blobs.blob_path(get_settings().data_dir, note.attachment_sha256), note.attachment_name


def decide(
    session: Session, *, caller: Caller, discrepancy_id: int, status: str, reason: str, seen_status: str | None = None
) -> Discrepancy:
    """Set a discrepancy's status, with the reason; runs never overwrite it. With ``seen_status``
    (the status the auditor decided from), a decision another made meanwhile is not overwritten."""
    caller.require(Permission.INVESTIGATE)
    discrepancy = get(session, caller=caller, discrepancy_id=discrepancy_id)
    try:
        new = Status(status.upper())
    except ValueError:
        raise InvalidInput(f'"{status}" is not a status: a decision sets one of {", ".join(DECISIONS)}') from None
    if seen_status:
        session.refresh(discrepancy, with_for_update=True)  # two auditors deciding at once: one waits
        if discrepancy.status != seen_status.upper():
            raise Conflict(
                f"discrepancy {discrepancy.id} is now {discrepancy.status}, not {seen_status.upper()} as you saw it:"
                " someone decided meanwhile; read it again before deciding"
            )
    if discrepancy.status == Status.CLOSED and discrepancy.closed_run is not None:
        raise Conflict(f"discrepancy {discrepancy.id} was closed by run {discrepancy.closed_run}: nothing to decide")
    old = discrepancy.status
    note = DiscrepancyNote(
        discrepancy_id=discrepancy.id,
        kind=NoteKind.DECISION,
        author=caller.name,
        body=_text(reason, "reason"),
        status_from=old,
        status_to=new,
    )
    discrepancy.status, discrepancy.updated_at = new, utcnow()
    session.add_all([note, discrepancy])
    session.flush()
    _audit(session, caller, "discrepancy.decided", discrepancy, {"from": old, "to": new, "reason": note.body})
    return discrepancy


def _audit(session: Session, caller: Caller, action: str, discrepancy: Discrepancy, details: dict) -> None:
    audit.record(
        session,
        actor=caller.name,
        action=action,
        subject=f"discrepancy:{discrepancy.id}",
        operator_id=discrepancy.operator_id,
        zone_id=discrepancy.zone_id,
        details=details,
    )


def _text(body: str, field: str) -> str:
    """A person's text, stripped; refused naming the form's ``field`` when empty, too long or not printable."""
    body = (body or "").strip()
    if not body:
        raise InvalidInput(f"{field}: it is empty")
    if len(body) > 5000:
        raise InvalidInput(f"{field}: it is longer than 5,000 characters")
    if has_control(body):
        raise InvalidInput(f"{field}: it contains a control character")
    return body


def _encode(last: Discrepancy, *, newest: bool) -> str:
    # newest first needs only the id: the score stays out of a cursor an operator may be given
    score = 0 if newest else last.risk_score
    return base64.urlsafe_b64encode(f"{score}:{last.id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, int]:
    try:
        score, ident = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":")
        return int(score), int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this API gave out") from None


def public(session: Session, discrepancies: list[Discrepancy]) -> list[DiscrepancyPublic]:
    """Discrepancies as the contract shows them: zone and operator codes instead of ids."""
    zone_codes = dict(session.execute(select(Zone.id, Zone.code)).all())
    operator_ids = {d.operator_id for d in discrepancies}
    operators = {
        oid: (code, aeo)
        for oid, code, aeo in session.execute(
            select(Operator.id, Operator.code, Operator.aeo).where(Operator.id.in_(operator_ids))
        )
    }
    return [
        DiscrepancyPublic.model_validate(
            d,
            update={
                "zone_code": zone_codes[d.zone_id],
                "operator_code": operators[d.operator_id][0],
                "aeo": operators[d.operator_id][1],
                "control_codes": [c for c in d.control_codes.split(",") if c],
            },
        )
        for d in discrepancies
    ]


def get_runs(session: Session, *, caller: Caller, limit: int = 50) -> list[Run]:
    """Runs the caller may see, newest first."""
    caller.require(Permission.REVIEW)
    query = select(Run).where(visible(caller, Run)).order_by(Run.id.desc()).limit(limit)
    return list(session.execute(query).scalars())


def runs_overview(session: Session, *, caller: Caller, limit: int = 50) -> dict:
    """The runs page: recent runs, whether one is working, the last success and its age, the
    next scheduled runs."""
    recent = get_runs(session, caller=caller, limit=limit)
    zones = _zone_codes(session, caller)
    return {
        "runs": recent,
        "running": any(r.outcome == RunOutcome.RUNNING for r in recent),
        "freshness": health.freshness(session, zones=zones),
        "scheduled": health.scheduled(session, zones=None if caller.sees_everything else zones),
        "zones": sorted(zones),
        "all_zones": caller.sees_everything,
    }


def _zone_codes(session: Session, caller: Caller) -> set[str]:
    """The codes of the zones a caller may see."""
    return set(session.execute(select(Zone.code).where(visible(caller, Zone))).scalars())


def get_run(session: Session, *, caller: Caller, run_id: int) -> Run:
    caller.require(Permission.REVIEW)
    return get_visible(session, caller, Run, run_id, what="run")


def start_run(
    engine: Engine, *, caller: Caller, as_of: datetime | None, zone_code: str | None, full: bool
) -> runs.Started:
    """Record a run the caller starts (``RunInProgress`` if one is working); an auditor limited
    to zones runs one of them, never all (naming none, its only zone)."""
    caller.require(Permission.INVESTIGATE)
    if not caller.sees_everything:
        with Session(engine) as session:
            codes = _zone_codes(session, caller)
        if not zone_code and len(codes) == 1:
            zone_code = next(iter(codes))
        elif not zone_code:
            raise InvalidInput(f"zone: name one of this account's zones ({', '.join(sorted(codes))})")
        if zone_code.strip().upper() not in codes:
            raise NotFound(f"no zone {zone_code} among this account's zones: name one of them")
    return runs.start(engine, as_of=as_of, zone_code=zone_code, full=full, started_by=caller.name)


def get_history(session: Session, *, caller: Caller, discrepancy_id: int) -> list:
    """The audit events of a discrepancy (comments, decisions, questions), oldest first: customs' own record."""
    caller.require(Permission.REVIEW)
    discrepancy = get(session, caller=caller, discrepancy_id=discrepancy_id)
    return audit.get_all(session, subject=f"discrepancy:{discrepancy.id}", limit=1000)


def summary(session: Session, *, caller: Caller) -> dict:
    """What an auditor sees first: open findings by kind, severity and zone, the strategic
    ones at the top, the trend over the last runs and the last run's outcome."""
    caller.require(Permission.REVIEW)
    open_ = select(Discrepancy).where(visible(caller, Discrepancy), Discrepancy.status != Status.CLOSED)
    counted = open_.subquery()

    def by(column) -> list[tuple[str, int]]:
        rows = session.execute(select(column, func.count()).select_from(counted).group_by(column).order_by(column))
        return [(str(k), int(n)) for k, n in rows]

    zones = dict(session.execute(select(Zone.id, Zone.code)).all())
    strategic = session.execute(
        open_.where(Discrepancy.strategic.is_(True)).order_by(Discrepancy.risk_score.desc(), Discrepancy.id).limit(10)
    ).scalars()
    recent = list(reversed(get_runs(session, caller=caller, limit=14)))
    # a run of every zone counts other zones' findings than a zone auditor's: its trend is its zones' runs
    succeeded = [r for r in recent if r.outcome == "SUCCEEDED" and (caller.sees_everything or r.zone_code)]
    return {
        "by_kind": by(counted.c.kind),
        "by_severity": by(counted.c.severity),
        "by_zone": [(zones.get(int(k), k), n) for k, n in by(counted.c.zone_id)],
        "strategic": public(session, list(strategic)),
        "trend": [(r.id, sum(r.counts.values())) for r in succeeded],
        "last_run": recent[-1] if recent else None,
        "freshness": health.freshness(session, zones=_zone_codes(session, caller)),
    }
