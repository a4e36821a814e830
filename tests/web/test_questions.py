"""The pages of a question to the operator: an auditor asks from the finding's page; the
operator's pages show the findings it was asked about, with their facts only."""

import re

import pytest
from sqlmodel import Session, select

from ftz.auth import service as accounts
from ftz.auth.scope import SYSTEM
from ftz.discrepancies import review
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Discrepancy
from tests.api.conftest import denied_party
from tests.helpers import admission, customs_item, import_customs, import_movements, write_csv
from tests.web.test_pages import PASSWORD, csrf, logged_in

AUDITOR = "inspector.kowalski"  # a name no other text of these pages contains
COMMENT = "the broker is known to us"
REASON = "pattern matches case 4411"


@pytest.fixture
def findings(zone_with_operators, tmp_path) -> list[int]:
    """Two quantity mismatches on OP001's lots, one commented and escalated by an auditor;
    accounts for that auditor and an OP001 clerk."""
    items = [customs_item(f"D{n}", lot_ref=f"LOT{n}", quantity="100", unit="KGM") for n in range(2)]
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", items))
    moves = [admission(f"M{n}", lot=f"LOT{n}", customs_ref=f"D{n}", quantity="90") for n in range(2)]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", moves))
    runs.run(zone_with_operators)
    with Session(zone_with_operators) as session:
        accounts.create(session, name=AUDITOR, role="AUDITOR", password=PASSWORD, actor="t")
        accounts.create(session, name="clerk", role="OPERATOR", operator_code="OP001", password=PASSWORD, actor="t")
        ids = sorted(session.exec(select(Discrepancy.id)).all())
        session.commit()
    with logged_in(AUDITOR) as auditor:
        token = csrf(auditor.get(f"/discrepancies/{ids[0]}").text)
        auditor.post(f"/discrepancies/{ids[0]}/comments", data={"body": COMMENT, "csrf_token": token})
        auditor.post(f"/discrepancies/{ids[0]}/decision", data={"status": "ESCALATED", "reason": REASON,
                                                                 "csrf_token": token})  # fmt: skip
    return ids


def _ask(ids: list[int], question: str = "Please send the weighbridge ticket.") -> None:
    with logged_in(AUDITOR) as auditor:
        token = csrf(auditor.get(f"/discrepancies/{ids[0]}").text)
        asked = auditor.post(f"/discrepancies/{ids[0]}/questions", data={"question": question, "csrf_token": token})
        assert asked.status_code == 200 and "Question sent to the operator" in asked.text


def test_an_auditor_asks_from_the_finding_page_and_sees_the_question_and_its_audit_event(findings):
    _ask(findings, "Where did the 10 kg go?")
    with logged_in(AUDITOR) as auditor:
        page = auditor.get(f"/discrepancies/{findings[0]}").text
    assert re.search(rf"<strong>{AUDITOR}</strong> asked, [\d-]+ [\d:]+ UTC: Where did the 10 kg go\?", page)
    assert "discrepancy.asked" in page


def test_the_operators_page_of_a_finding_shows_no_severity_risk_comment_or_decision(findings):
    _ask(findings)
    with logged_in("clerk") as operator:
        page = operator.get(f"/discrepancies/{findings[0]}")
    assert page.status_code == 200 and "Please send the weighbridge ticket." in page.text
    shown = [text for text in ("sev-", "CRITICAL", "Risk", "risk", "ESCALATED", COMMENT, REASON, AUDITOR)
             if text in page.text]  # fmt: skip
    assert shown == []


def test_the_operators_list_shows_only_the_findings_it_was_asked_about(findings):
    _ask(findings)
    with logged_in("clerk") as operator:
        page = operator.get("/discrepancies").text
    assert set(re.findall(r'href="/discrepancies/(\d+)"', page)) == {str(findings[0])}


def test_the_operators_page_of_a_finding_not_asked_about_is_not_found(findings):
    with logged_in("clerk") as operator:
        assert operator.get(f"/discrepancies/{findings[1]}").status_code == 404


def test_the_operator_answers_from_the_page_of_the_question(findings):
    _ask(findings)
    with logged_in("clerk") as operator:
        token = csrf(operator.get(f"/discrepancies/{findings[0]}").text)
        sent = operator.post(f"/discrepancies/{findings[0]}/answers", data={"body": "lab samples", "csrf_token": token})
    assert sent.status_code == 200 and "Answer sent to customs" in sent.text
    assert re.search(r"<strong>clerk</strong>, [\d-]+ [\d:]+: lab samples", sent.text)


def test_the_auditor_reads_the_answer_after_its_question_and_not_among_customs_notes(findings):
    _ask(findings, "Where did the <10 kg> go?")
    with logged_in("clerk") as operator:
        token = csrf(operator.get(f"/discrepancies/{findings[0]}").text)
        operator.post(f"/discrepancies/{findings[0]}/answers", data={"body": "lab samples", "csrf_token": token})
    with logged_in(AUDITOR) as auditor:
        page = auditor.get(f"/discrepancies/{findings[0]}").text
    exchange = page[page.index("<h2>Questions to the operator</h2>") :]
    notes = page[page.index("<h2>Notes</h2>") : page.index("<h2>Questions to the operator</h2>")]
    assert exchange.index("asked,") < exchange.index("<strong>clerk</strong> answered") and "lab samples" not in notes
    assert "body: Where did the &lt;10 kg&gt; go?" in page and "\\u003c" not in page  # the audit trail, readable


def test_a_finding_never_put_to_the_operator_offers_no_question_form(findings, zone_with_operators):
    with Session(zone_with_operators) as session:
        denied = denied_party(session, "OP001").id
        session.commit()
    with logged_in(AUDITOR) as auditor:
        page = auditor.get(f"/discrepancies/{denied}").text
    assert f'action="/discrepancies/{denied}/questions"' not in page
    assert "never put to the operator" in page


def test_an_operator_cannot_export_customs_queue(findings, zone_with_operators):
    with Session(zone_with_operators) as session:
        review.ask(session, caller=SYSTEM, discrepancy_id=findings[0], question="why?")
        session.commit()
    with logged_in("clerk") as operator:
        assert operator.get("/discrepancies/export.csv").status_code == 403
