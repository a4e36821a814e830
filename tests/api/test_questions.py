"""Operators are never tipped off: an operator sees a finding only once an auditor has put it
to it as a question, and then only its facts, never customs' assessment of it."""

import base64
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from ftz.app import create_app
from ftz.audit import service as audit
from ftz.auth import service as accounts
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Discrepancy
from tests.api.conftest import denied_party
from tests.helpers import admission, customs_item, import_customs, import_movements, write_csv

PASSWORD = "correct horse battery staple"
AUDITOR = "inspector.kowalski"  # a name no other text of these tests contains
# Customs' assessment, written into the findings: none of it may reach the operator.
RISK = 987_654_321  # more digits than a timestamp's fraction of a second, so never in one by chance
SECRETS = {
    "risk": str(RISK),
    "component": "SANCTIONED-ROUTE-WEIGHT",
    "destination reasons": "EMBARGO-WATCHLIST-7",
    "strategic basis": "CORRELATION-BASIS-X",
    "comment": "the broker is known to us",
    "decision reason": "pattern matches case 4411",
    "auditor": AUDITOR,
}


@dataclass
class Desk:
    engine: Engine
    auditor: TestClient
    operator: TestClient
    ids: list[int]  # the findings on OP001's lots, lowest id first
    lots: dict[int, str]  # the findings on OP001's lots: id -> lot


def _confidential(engine: Engine) -> None:
    """Customs' assessment, as a run writes it, with text no fact of the finding contains."""
    with Session(engine) as session:
        for finding in session.execute(select(Discrepancy)).scalars().all():
            evidence = finding.evidence | {
                "risk": {"score": RISK, "components": [[SECRETS["component"], RISK]]},
                "destination": {"country": "DE", "tier": "HIGH", "reasons": SECRETS["destination reasons"]},
                "strategic": {"basis": SECRETS["strategic basis"], "control_codes": "1C002"},
            }
            session.execute(
                update(Discrepancy)
                .where(Discrepancy.id == finding.id)
                .values(risk_score=RISK, severity="CRITICAL", strategic=True, control_codes="1C002", evidence=evidence)
            )
        session.commit()


def _log_in(client: TestClient, name: str) -> None:
    csrf = client.post("/api/v1/session", json={"name": name, "password": PASSWORD}).json()["csrf_token"]
    client.headers["X-CSRF-Token"] = csrf


@pytest.fixture
def desk(zone_with_operators, tmp_path):
    """Three quantity mismatches on OP001's lots with customs' assessment on them, an auditor
    and an OP001 clerk logged in."""
    items = [customs_item(f"D{n}", lot_ref=f"LOT{n}", quantity="100", unit="KGM") for n in range(3)]
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", items))
    moves = [admission(f"M{n}", lot=f"LOT{n}", customs_ref=f"D{n}", quantity="90") for n in range(3)]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", moves))
    runs.run(zone_with_operators)
    _confidential(zone_with_operators)
    with Session(zone_with_operators) as session:
        accounts.create(session, name=AUDITOR, role="AUDITOR", password=PASSWORD, actor="t")
        accounts.create(session, name="clerk", role="OPERATOR", operator_code="OP001", password=PASSWORD, actor="t")
        session.commit()
    with TestClient(create_app()) as auditor, TestClient(create_app()) as operator:
        _log_in(auditor, AUDITOR)
        _log_in(operator, "clerk")
        lots = {d["id"]: d["lot_ref"] for d in auditor.get("/api/v1/discrepancies").json()["items"]}
        yield Desk(zone_with_operators, auditor, operator, sorted(lots), lots)


def _worked(desk: Desk, target: int) -> None:
    """An auditor's work on a finding: assigned, commented, decided."""
    url = f"/api/v1/discrepancies/{target}"
    assigned = desk.auditor.post("/api/v1/discrepancies/assignments", json={"ids": [target], "assignee": AUDITOR})
    assert assigned.status_code == 200
    assert desk.auditor.post(url + "/comments", json={"body": SECRETS["comment"]}).status_code == 201
    decided = desk.auditor.post(url + "/decision", json={"status": "ESCALATED", "reason": SECRETS["decision reason"]})
    assert decided.status_code == 200


def _ask(desk: Desk, target: int, question: str = "Please send the weighbridge ticket.") -> None:
    asked = desk.auditor.post(f"/api/v1/discrepancies/{target}/questions", json={"question": question})
    assert asked.status_code == 201, asked.text


def test_an_operator_sees_no_finding_before_it_is_asked(desk):
    assert desk.operator.get("/api/v1/discrepancies").json()["items"] == []
    assert desk.operator.get(f"/api/v1/discrepancies/{desk.ids[0]}").status_code == 404


def test_once_asked_the_operator_sees_that_finding_with_the_question(desk):
    _ask(desk, desk.ids[1], "Why were 90 kg booked against 100 declared?")
    listed = desk.operator.get("/api/v1/discrepancies").json()["items"]
    assert [(d["id"], d["kind"], d["lot_ref"]) for d in listed] == [
        (desk.ids[1], "QUANTITY_MISMATCH", desk.lots[desk.ids[1]])
    ]
    detail = desk.operator.get(f"/api/v1/discrepancies/{desk.ids[1]}").json()
    assert (detail["expected"], detail["found"], detail["unit"]) == ("100", "90", "KGM")
    assert [q["body"] for q in detail["questions"]] == ["Why were 90 kg booked against 100 declared?"]


def test_the_operator_reads_no_field_of_customs_assessment_notes_or_assignee(desk):
    _worked(desk, desk.ids[0])
    _ask(desk, desk.ids[0])
    for body in (
        desk.operator.get(f"/api/v1/discrepancies/{desk.ids[0]}").json(),
        desk.operator.get("/api/v1/discrepancies").json()["items"][0],
    ):
        hidden = {"risk_score", "severity", "evidence", "strategic", "control_codes", "status", "assignee", "notes"}
        assert hidden & set(body) == set()
        assert "asked_by" not in body["questions"][0]


def test_the_operator_reads_none_of_customs_assessment_notes_or_assignee(desk):
    _worked(desk, desk.ids[0])
    _ask(desk, desk.ids[0])
    for response in (
        desk.operator.get(f"/api/v1/discrepancies/{desk.ids[0]}"),
        desk.operator.get("/api/v1/discrepancies"),
    ):
        assert response.status_code == 200
        shown = {what: secret for what, secret in SECRETS.items() if secret in response.text}
        assert shown == {}


def test_a_finding_asked_twice_is_listed_once_with_both_questions(desk):
    _ask(desk, desk.ids[0], "first")
    _ask(desk, desk.ids[0], "second")
    listed = desk.operator.get("/api/v1/discrepancies").json()["items"]
    assert [(d["id"], [q["body"] for q in d["questions"]]) for d in listed] == [(desk.ids[0], ["first", "second"])]


def test_a_kind_that_would_tip_off_a_suspect_cannot_be_asked(desk):
    with Session(desk.engine) as session:
        denied = denied_party(session, "OP001").id
        session.commit()
    refused = desk.auditor.post(f"/api/v1/discrepancies/{denied}/questions", json={"question": "who is this?"})
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    assert "never put to the operator" in refused.json()["detail"]
    assert desk.operator.get(f"/api/v1/discrepancies/{denied}").status_code == 404


def test_asking_is_audited_with_the_question(desk):
    _ask(desk, desk.ids[0], "Where did the 10 kg go?")
    with Session(desk.engine) as session:
        events = audit.get_all(session, action="discrepancy.asked")
    assert [(e.actor, e.subject, e.details["body"]) for e in events] == [
        (AUDITOR, f"discrepancy:{desk.ids[0]}", "Where did the 10 kg go?")
    ]


def test_customs_reads_the_questions_asked_and_the_operators_answers(desk):
    _ask(desk, desk.ids[0], "Where did the 10 kg go?")
    answered = desk.operator.post(f"/api/v1/discrepancies/{desk.ids[0]}/answers", data={"body": "lab samples"})
    assert answered.status_code == 201
    detail = desk.auditor.get(f"/api/v1/discrepancies/{desk.ids[0]}").json()
    assert [(q["asked_by"], q["body"]) for q in detail["questions"]] == [(AUDITOR, "Where did the 10 kg go?")]
    assert [(n["kind"], n["author"], n["body"]) for n in detail["notes"]] == [("ANSWER", "clerk", "lab samples")]
    assert detail["risk_score"] == RISK


def test_the_operator_reads_back_its_answers_but_no_comment(desk):
    _ask(desk, desk.ids[0])
    assert desk.auditor.post(f"/api/v1/discrepancies/{desk.ids[0]}/comments", json={"body": "noted"}).is_success
    desk.operator.post(f"/api/v1/discrepancies/{desk.ids[0]}/answers", data={"body": "lab samples"})
    detail = desk.operator.get(f"/api/v1/discrepancies/{desk.ids[0]}").json()
    assert [(a["author"], a["body"]) for a in detail["answers"]] == [("clerk", "lab samples")]


def test_an_operator_cannot_answer_a_finding_it_was_not_asked_about(desk):
    refused = desk.operator.post(f"/api/v1/discrepancies/{desk.ids[0]}/answers", data={"body": "unprompted"})
    assert refused.status_code == 404


def test_an_operator_cannot_filter_its_findings_by_customs_assessment(desk):
    _ask(desk, desk.ids[0])
    for name, value in (("severity", "CRITICAL"), ("status", "ESCALATED"), ("strategic", "true")):
        refused = desk.operator.get("/api/v1/discrepancies", params={name: value})
        assert refused.status_code == 422, name


def test_an_operators_pages_carry_no_risk_score_in_their_cursor(desk):
    for target in desk.ids[:2]:
        _ask(desk, target)
    cursor = desk.operator.get("/api/v1/discrepancies", params={"limit": 1}).json()["next_cursor"]
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    assert decoded == f"0:{desk.ids[1]}"  # newest first, and no score
    rest = desk.operator.get("/api/v1/discrepancies", params={"limit": 1, "cursor": cursor}).json()
    assert [d["id"] for d in rest["items"]] == [desk.ids[0]]


def test_an_empty_question_is_refused(desk):
    refused = desk.auditor.post(f"/api/v1/discrepancies/{desk.ids[0]}/questions", json={"question": "   "})
    assert refused.status_code == 422 and refused.json()["detail"] == "question: it is empty"


def test_the_operator_is_not_told_of_customs_inspection_in_the_records(desk):
    count = {"operator_code": "OP001", "lot_ref": desk.lots[desk.ids[0]], "counted_at": "2026-11-01T10:00:00",
             "quantity": "40", "unit": "KGM"}  # fmt: skip
    assert desk.auditor.post("/api/v1/counts", json=count).status_code == 201
    runs.run(desk.engine)
    shortage = desk.auditor.get("/api/v1/discrepancies", params={"kind": "STOCK_SHORTAGE"}).json()["items"][0]
    assert shortage["evidence"]["records"].startswith("inspection ")
    _ask(desk, shortage["id"])
    detail = desk.operator.get(f"/api/v1/discrepancies/{shortage['id']}")
    assert detail.json()["records"] == [] and "inspection" not in detail.text


def test_the_operator_is_not_told_what_customs_counted_at_an_inspection(desk):
    lot = desk.lots[desk.ids[0]]
    count = {"operator_code": "OP001", "lot_ref": lot, "counted_at": "2026-09-25T10:00:00", "quantity": "42.5",
             "unit": "KGM"}  # fmt: skip
    assert desk.auditor.post("/api/v1/counts", json=count).status_code == 201
    runs.run(desk.engine)
    shortage = next(d["id"] for d in desk.auditor.get("/api/v1/discrepancies?kind=STOCK_SHORTAGE").json()["items"])
    _ask(desk, shortage, "Where did the goods go?")
    assert desk.auditor.get(f"/api/v1/lots/OP001/{lot}").json()["counts"] != []
    page = desk.operator.get(f"/api/v1/lots/OP001/{lot}")
    assert page.status_code == 200 and page.json()["counts"] == [] and "42.5" not in page.text
    finding = desk.operator.get(f"/api/v1/discrepancies/{shortage}")
    assert finding.json()["found"] is None and "42.5" not in finding.text and "inspection" not in finding.text


# What an operator reads of the records behind a finding: its own records and customs items,
# never customs' own work (an examination) nor another operator's (the next zone's admission of
# a transfer, another holder's licence).


def _written(desk: Desk, **evidence) -> int:
    """The first of OP001's findings, its evidence as a rule of another kind writes it; asked."""
    target = desk.ids[0]
    with Session(desk.engine) as session:
        stored = session.get(Discrepancy, target).evidence
        session.execute(update(Discrepancy).where(Discrepancy.id == target).values(evidence=stored | evidence))
        session.commit()
    _ask(desk, target)
    return target


def test_the_operator_is_not_told_what_an_examination_found(desk):
    # as rules.examined_classifications writes it
    target = _written(desk, expected="081090", found="284410", records="D0/1 | examination 7",
                      found_from="examination 7 (goods found)")  # fmt: skip
    seen = desk.operator.get(f"/api/v1/discrepancies/{target}")
    assert seen.json()["found"] is None and seen.json()["records"] == ["D0/1"]
    assert "284410" not in seen.text and "examination" not in seen.text
    page = desk.operator.get(f"/discrepancies/{target}")
    assert page.status_code == 200 and "284410" not in page.text and "examination 7" not in page.text


def test_the_operator_is_not_told_what_another_operator_admitted_in_the_next_zone(desk):
    # as transfers.py writes a transfer that arrived short: the next zone's admission is another's
    target = _written(desk, expected="2000", found="1200", records="customs D0/1 | 26OM0777301",
                      found_from="admissions of zone ZDY naming it: 26OM0777301")  # fmt: skip
    seen = desk.operator.get(f"/api/v1/discrepancies/{target}").json()
    assert (seen["expected"], seen["found"], seen["records"]) == ("2000", None, ["customs D0/1"])


def test_the_operator_is_not_told_who_holds_the_licence_its_removal_cites(desk):
    licence = {"licence_ref": "EXL-9", "holder": "OP002", "issued_at": "2026-07-24", "valid_until": "2026-10-21"}
    target = _written(desk, expected="OP002", found="OP001", reasons=["holder", "dates"], licence=licence)
    seen = desk.operator.get(f"/api/v1/discrepancies/{target}")
    assert seen.json()["expected"] == "a licence issued to you" and seen.json()["found"] == "OP001"
    assert "OP002" not in seen.text and "2026-10-21" not in seen.text


def test_the_operators_own_licence_is_told_as_it_is(desk):
    licence = {"licence_ref": "EXL-1", "holder": "OP001", "issued_at": "2026-07-24", "valid_until": "2026-10-21"}
    target = _written(desk, expected="2026-07-24 to 2026-10-21", found="2026-11-12", reasons=["dates"], licence=licence)
    seen = desk.operator.get(f"/api/v1/discrepancies/{target}").json()
    assert (seen["expected"], seen["found"]) == ("2026-07-24 to 2026-10-21", "2026-11-12")


def test_the_operators_own_references_holding_slashes_are_told(desk, tmp_path):
    moves = [admission("M/2026/7", lot="LOT7", customs_ref="26AE/0007", quantity="5")]
    assert import_movements(desk.engine, write_csv(tmp_path / "m.csv", moves)).accepted
    target = _written(desk, records="M/2026/7 | 26AE/0007/1", found_from="operator's records M/2026/7")
    seen = desk.operator.get(f"/api/v1/discrepancies/{target}").json()
    assert seen["records"] == ["M/2026/7"] and seen["found"] is not None  # the customs item is no one's here
