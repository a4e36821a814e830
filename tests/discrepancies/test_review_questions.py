"""Asking the operator, in the service: kinds that would tip off a suspect are never asked,
and the operator's scope holds whatever the tables contain."""

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from ftz.auth.models import Role
from ftz.auth.scope import SYSTEM, Caller
from ftz.discrepancies import review
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Discrepancy, Question
from ftz.errors import Conflict, Forbidden, NotFound
from reconciliation.kinds import NOT_ASKABLE
from tests.api.conftest import denied_party
from tests.helpers import admission, customs_item, import_customs, import_movements, write_csv


@pytest.fixture
def finding(zone_with_operators, tmp_path) -> int:
    """One quantity mismatch on OP001's lot LOT1, found by a run."""
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [customs_item("D1", unit="KGM", quantity="100")]))
    moves = [admission("M1", lot="LOT1", customs_ref="D1", quantity="90")]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", moves))
    runs.run(zone_with_operators)
    with Session(zone_with_operators) as session:
        return session.exec(select(Discrepancy.id)).one()


def _operator(session: Session) -> Caller:
    """A clerk of OP001, as a session makes it."""
    operator_id = session.exec(select(Discrepancy.operator_id)).first()
    return Caller(user_id=None, name="clerk", role=Role.OPERATOR, operator_id=operator_id)


@pytest.mark.parametrize("kind", sorted(NOT_ASKABLE))
def test_a_kind_that_would_tip_off_a_suspect_is_never_asked(zone_with_operators, finding, kind):
    with Session(zone_with_operators) as session:
        session.execute(update(Discrepancy).where(Discrepancy.id == finding).values(kind=kind))
        with pytest.raises(Conflict, match="never put to the operator"):
            review.ask(session, caller=SYSTEM, discrepancy_id=finding, question="who is the consignee?")


def test_a_question_on_record_does_not_show_a_kind_never_asked(zone_with_operators, finding):
    with Session(zone_with_operators) as session:
        denied = denied_party(session, "OP001").id
        # written past the service (an import, a restored backup): the scope still holds
        session.add(Question(discrepancy_id=denied, asked_by="someone", body="who is the consignee?"))
        session.flush()
        with pytest.raises(NotFound):
            review.get(session, caller=_operator(session), discrepancy_id=denied)


def test_the_operator_reads_its_answers_but_no_comment_or_decision(zone_with_operators, finding):
    with Session(zone_with_operators) as session:
        clerk = _operator(session)
        review.ask(session, caller=SYSTEM, discrepancy_id=finding, question="where did 10 kg go?")
        review.comment(session, caller=SYSTEM, discrepancy_id=finding, body="internal")
        review.decide(session, caller=SYSTEM, discrepancy_id=finding, status="ESCALATED", reason="internal")
        review.answer(session, caller=clerk, discrepancy_id=finding, body="lab samples")
        notes = review.get_notes(session, caller=clerk, discrepancy_id=finding)
    assert [(n.kind, n.body) for n in notes] == [("ANSWER", "lab samples")]


def test_the_operator_cannot_read_the_findings_audit_events(zone_with_operators, finding):
    with Session(zone_with_operators) as session:
        review.ask(session, caller=SYSTEM, discrepancy_id=finding, question="where did 10 kg go?")
        with pytest.raises(Forbidden):
            review.get_history(session, caller=_operator(session), discrepancy_id=finding)
