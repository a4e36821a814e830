"""What each caller reads of a finding. Customs reads everything: the risk assessment, notes,
questions, the audit trail. The operator a finding was put to reads the facts, the questions
and its own answers, never customs' assessment of it: that would tip it off.

Which findings an operator sees is decided in one place, ``ftz.auth.scope.visible`` (those it
was asked about); which of their fields, here: every page and API answer an operator gets
about a finding is built by ``_for_operator``.
"""

from collections import defaultdict
from collections.abc import Iterable
from contextlib import suppress

from sqlalchemy import Engine, select
from sqlmodel import Session

from ftz.auth.models import Role
from ftz.auth.scope import Caller, visible
from ftz.discrepancies import review
from ftz.discrepancies.models import (
    AnswerPublic,
    Discrepancy,
    DiscrepancyForCustoms,
    DiscrepancyForOperator,
    DiscrepancyForOperatorPage,
    DiscrepancyNote,
    DiscrepancyPage,
    NotePublic,
    Question,
    QuestionAsked,
    QuestionPublic,
)
from ftz.errors import NotFound
from ftz.holds.models import Hold
from ftz.ledger import journey, lots
from ftz.ledger.models import CustomsEntry, Movement
from ftz.licences import usage
from ftz.licences.models import Licence
from ftz.zones.models import Operator
from reconciliation.kinds import KINDS, NOT_ASKABLE

# How a finding's records name customs' own work, never shown to the operator: a count made at
# an inspection (``read_inputs``), the goods an examination found (``rules.examined_classifications``).
CUSTOMS_WORK = ("inspection ", "examination ")


def get_page(
    session: Session, *, caller: Caller, filters: review.Filters, cursor: str | None = None, limit: int = 50
) -> DiscrepancyPage | DiscrepancyForOperatorPage:
    """A page of discrepancies as the caller may read them, with the next page's cursor."""
    found, next_cursor = review.get_all(session, caller=caller, filters=filters, cursor=cursor, limit=limit)
    if caller.role == Role.OPERATOR:
        return DiscrepancyForOperatorPage(items=_for_operator(session, caller, found), next_cursor=next_cursor)
    return DiscrepancyPage(items=review.public(session, found), next_cursor=next_cursor)


def get_detail(
    session: Session, *, caller: Caller, discrepancy_id: int
) -> DiscrepancyForCustoms | DiscrepancyForOperator:
    """One discrepancy as the caller may read it: customs with its notes and the questions
    asked, the operator the facts, the questions and its answers."""
    discrepancy = review.get(session, caller=caller, discrepancy_id=discrepancy_id)
    if caller.role == Role.OPERATOR:
        return _for_operator(session, caller, [discrepancy])[0]
    notes = review.get_notes(session, caller=caller, discrepancy_id=discrepancy_id)
    questions = review.get_questions(session, caller=caller, discrepancy_id=discrepancy_id)
    return DiscrepancyForCustoms(
        **review.public(session, [discrepancy])[0].model_dump(),
        notes=[NotePublic.model_validate(n) for n in notes],
        questions=[QuestionAsked.model_validate(q) for q in questions],
    )


def get_finding(session: Session, engine: Engine, *, caller: Caller, discrepancy_id: int) -> dict:
    """A finding's page. For customs, all an auditor reads beside it: notes, questions, its
    audit events, the lot's timeline (if the operator booked the lot) and the processing
    lineage. For the operator, what ``get_detail`` gives it."""
    if caller.role == Role.OPERATOR:
        return {"d": get_detail(session, caller=caller, discrepancy_id=discrepancy_id)}
    d = review.public(session, [review.get(session, caller=caller, discrepancy_id=discrepancy_id)])[0]
    history_of_lot = None
    # customs may name a lot the operator never booked: then there is no timeline
    with suppress(NotFound):
        if d.lot_ref:
            history_of_lot = lots.get_history(engine, caller=caller, operator_code=d.operator_code, lot_ref=d.lot_ref)
    return {
        "d": d,
        "history_of_lot": history_of_lot,
        "journey": _journey(session, caller, d),
        "lineage": lots.get_lineage(
            session, caller=caller, operator_code=d.operator_code, lot_ref=d.lot_ref, process_ref=d.process_ref
        ),
        "notes": review.get_notes(session, caller=caller, discrepancy_id=discrepancy_id),
        "questions": review.get_questions(session, caller=caller, discrepancy_id=discrepancy_id),
        "askable": d.kind not in NOT_ASKABLE,
        "history": review.get_history(session, caller=caller, discrepancy_id=discrepancy_id),
        "decisions": review.DECISIONS,
        **_registers(session, engine, d.evidence),
    }


def _journey(session: Session, caller: Caller, d) -> journey.Journey | None:
    """The journey across zones of the finding's lot, if it names one."""
    if not d.lot_ref:
        return None
    with suppress(NotFound):
        return journey.get(session, caller=caller, operator_code=d.operator_code, lot_ref=d.lot_ref)
    return None


def _registers(session: Session, engine: Engine, evidence: dict) -> dict:
    """For customs' page only: the licence a removal cites as the register holds it now, with
    what its holder's removals have used of it (the rule's own count), and the hold a removal
    broke with who placed it and why."""
    out: dict = {"licence": None, "licence_usage": None, "hold": None}
    ref = evidence.get("licence_ref")
    if ref:
        versions = session.execute(select(Licence).where(Licence.licence_ref == ref).order_by(Licence.version)).all()
        if versions:
            licence = versions[-1][0]
            out["licence"], out["licence_usage"] = licence, usage.get_all(engine, licences=[licence])[ref]
    held = (evidence.get("hold") or {}).get("id")
    if held:
        out["hold"] = session.get(Hold, held)
    return out


def _for_operator(session: Session, caller: Caller, found: list[Discrepancy]) -> list[DiscrepancyForOperator]:
    """Findings the operator may see, as it reads them: the kind, the references, what each
    side says, the records named (its own and the customs items), the questions, its answers."""
    ids = [d.id for d in found]
    codes = dict(
        session.execute(select(Operator.id, Operator.code).where(Operator.id.in_({d.operator_id for d in found}))).all()
    )
    asked = _by_finding(
        session.execute(
            select(Question).where(Question.discrepancy_id.in_(ids), visible(caller, Question)).order_by(Question.id)
        ).scalars()
    )
    answered = _by_finding(
        session.execute(
            select(DiscrepancyNote)
            .where(DiscrepancyNote.discrepancy_id.in_(ids), visible(caller, DiscrepancyNote))
            .order_by(DiscrepancyNote.id)
        ).scalars()
    )
    owned = _owned(session, found)
    return [
        DiscrepancyForOperator(
            id=d.id,
            kind=d.kind,
            label=KINDS[d.kind].label if d.kind in KINDS else d.kind,
            operator_code=codes[d.operator_id],
            lot_ref=d.lot_ref,
            customs_ref=d.customs_ref,
            process_ref=d.process_ref,
            **_facts(d, codes[d.operator_id], owned),
            unit=_fact(d.evidence.get("unit")),
            tolerance=_fact(d.evidence.get("tolerance")),
            questions=[QuestionPublic(id=q.id, body=q.body, asked_at=q.asked_at) for q in asked[d.id]],
            answers=[
                AnswerPublic(
                    id=n.id, author=n.author, body=n.body, attachment_name=n.attachment_name, created_at=n.created_at
                )
                for n in answered[d.id]
            ],
        )
        for d in found
    ]


def _facts(d: Discrepancy, code: str, owned: set[tuple[int, str]]) -> dict:
    """What each side says and the records named, as the operator may read them: its own
    records and customs items only. A side resting on customs' own work (an inspection's count,
    an examination's result) or on another operator's records (the next zone's admission of a
    transfer) is not told; nor another holder's licence, cited by the operator's removal."""
    evidence = d.evidence
    named = _records(evidence.get("records"))
    others = [ref for ref in named if not any((d.operator_id, key) in owned for key in _record_keys(ref))]
    expected, found = _fact(evidence.get("expected")), _fact(evidence.get("found"))
    if others and _names_any(evidence.get("expected_from"), others):
        expected = None
    if _inspected(evidence.get("records")) or (others and _names_any(evidence.get("found_from"), others)):
        found = None
    licence = evidence.get("licence") or {}
    if licence.get("holder") not in (None, code):  # the removal cites a licence issued to another operator
        expected = "a licence issued to you"
        if (evidence.get("reasons") or [None])[0] == "used_up":  # the holder's own removals under it
            found = None
    return {"expected": expected, "found": found, "records": [ref for ref in named if ref not in others]}


def _owned(session: Session, found: list[Discrepancy]) -> set[tuple[int, str]]:
    """Which references the findings name are the finding's operator's own: its movements, and
    the declarations of its customs items (``_record_keys``)."""
    keys = {key for d in found for ref in _records(d.evidence.get("records")) for key in _record_keys(ref)}
    operators = {d.operator_id for d in found}
    if not keys:
        return set()
    movements = select(Movement.operator_id, Movement.movement_ref).where(
        Movement.operator_id.in_(operators), Movement.movement_ref.in_(keys)
    )
    items = select(CustomsEntry.operator_id, CustomsEntry.declaration_ref).where(
        CustomsEntry.operator_id.in_(operators), CustomsEntry.declaration_ref.in_(keys)
    )
    return {(o, ref) for o, ref in session.execute(movements.union(items)).all()}


def _record_keys(ref: str) -> tuple[str, str]:
    """The references a record may be stored under: "customs D1/2v1" names declaration D1,
    "M7" movement M7 (a reference may hold a slash itself: "M/2026/7", "26AE/0001/2")."""
    token = ref.split(" ")[-1]
    return token, token.rsplit("/", 1)[0]


def _names_any(text: str | None, refs: list[str]) -> bool:
    """Whether ``text`` (where a side's value comes from) names one of ``refs``."""
    return any(_record_keys(ref)[1] in (text or "") for ref in refs)


def _by_finding(rows: Iterable[Question | DiscrepancyNote]) -> dict[int, list]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.discrepancy_id].append(row)
    return grouped


def _fact(value) -> str | None:
    return None if value is None else str(value)


def _records(named: str | None) -> list[str]:
    """The records a finding names ("M1,M2 | D1/1"), without customs' own work."""
    refs = [ref.strip() for part in (named or "").split(" | ") for ref in part.split(",")]
    return [ref for ref in refs if ref and not ref.startswith(CUSTOMS_WORK)]


def _inspected(named: str | None) -> bool:
    """Whether a finding rests on customs' own work: an inspection's count, an examination's result."""
    return any(work in (named or "") for work in CUSTOMS_WORK)
