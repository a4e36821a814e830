"""An auditor's work through the API: pages of discrepancies, comments, decisions, counts, runs."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.discrepancies import service as runs
from ftz.discrepancies.lock import RunLock
from tests.helpers import admission, customs_item, import_customs, import_movements, removal, write_csv

PASSWORD = "correct horse battery staple"


@pytest.fixture
def auditor(zone_with_operators, tmp_path):
    """Twelve lots with a quantity mismatch each, one run done, and an auditor logged in."""
    items = [customs_item(f"D{n}", lot_ref=f"LOT{n}", quantity=str(100 + n), unit="KGM") for n in range(12)]
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", items))
    moves = [admission(f"M{n}", lot=f"LOT{n}", customs_ref=f"D{n}", quantity="90") for n in range(12)]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", moves))
    runs.run(zone_with_operators)
    with Session(zone_with_operators) as session:
        accounts.create(session, name="aud", role="AUDITOR", password=PASSWORD, actor="t")
        session.commit()
    with TestClient(create_app()) as client:
        csrf = client.post("/api/v1/session", json={"name": "aud", "password": PASSWORD}).json()["csrf_token"]
        client.headers["X-CSRF-Token"] = csrf
        yield client


def test_cursor_pages_cover_every_discrepancy_once_highest_risk_first(auditor):
    seen, cursor = [], None
    while True:
        page = auditor.get("/api/v1/discrepancies", params={"limit": 5} | ({"cursor": cursor} if cursor else {}))
        body = page.json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 12 and len({d["id"] for d in seen}) == 12
    scores = [d["risk_score"] for d in seen]
    assert scores == sorted(scores, reverse=True)
    assert all(d["kind"] == "QUANTITY_MISMATCH" for d in seen)


def test_a_made_up_cursor_is_a_clear_error(auditor):
    response = auditor.get("/api/v1/discrepancies", params={"cursor": "%%%"})
    assert response.status_code == 422 and response.json()["detail"] == "the cursor is not one this API gave out"


def test_a_decision_is_kept_with_its_reason_and_survives_the_next_run(auditor, zone_with_operators):
    target = auditor.get("/api/v1/discrepancies").json()["items"][0]["id"]
    url = f"/api/v1/discrepancies/{target}"
    assert auditor.post(url + "/comments", json={"body": "asked for the weighing slip"}).status_code == 201
    decided = auditor.post(url + "/decision", json={"status": "JUSTIFIED", "reason": "moisture loss, certified"})
    assert decided.status_code == 200 and decided.json()["status"] == "JUSTIFIED"
    runs.run(zone_with_operators, full=True)
    detail = auditor.get(url).json()
    assert detail["status"] == "JUSTIFIED"
    assert [(n["kind"], n["body"], n["status_to"]) for n in detail["notes"]] == [
        ("COMMENT", "asked for the weighing slip", None),
        ("DECISION", "moisture loss, certified", "JUSTIFIED"),
    ]
    assert {n["author"] for n in detail["notes"]} == {"aud"}


def test_an_auditors_closing_stays_closed_through_later_runs(auditor, zone_with_operators):
    target = auditor.get("/api/v1/discrepancies").json()["items"][0]["id"]
    closed = auditor.post(f"/api/v1/discrepancies/{target}/decision", json={"status": "CLOSED", "reason": "settled"})
    assert closed.status_code == 200
    runs.run(zone_with_operators, full=True)
    after = auditor.get(f"/api/v1/discrepancies/{target}").json()
    assert (after["status"], after["last_seen_run"]) == ("CLOSED", 2)
    assert target not in [d["id"] for d in auditor.get("/api/v1/discrepancies").json()["items"]]


def test_a_discrepancy_a_run_closed_cannot_be_decided(auditor, zone_with_operators, tmp_path):
    target = auditor.get("/api/v1/discrepancies").json()["items"][0]
    lot = target["lot_ref"]
    n = int(lot.removeprefix("LOT"))
    fix = [admission(f"M{n}X", lot=lot, customs_ref=f"D{n}", quantity=str(100 + n), corrects_ref=f"M{n}")]
    import_movements(zone_with_operators, write_csv(tmp_path / "fix.csv", fix))
    runs.run(zone_with_operators)
    closed = auditor.post(f"/api/v1/discrepancies/{target['id']}/decision", json={"status": "ESCALATED", "reason": "x"})
    assert closed.status_code == 409 and "was closed by run 2" in closed.json()["detail"]


def test_a_count_short_of_the_books_is_found_by_the_next_run(auditor, zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "r.csv", [removal("R1", lot="LOT1", quantity="10")]))
    count = {"operator_code": "OP001", "lot_ref": "LOT1", "counted_at": "2026-11-01T10:00:00", "quantity": "40",
             "unit": "KGM", "note": "bay 4"}  # fmt: skip
    recorded = auditor.post("/api/v1/counts", json=count)
    assert recorded.status_code == 201 and recorded.json()["counted_by"] == "aud"
    started = auditor.post("/api/v1/runs", json={"zone_code": "ZFX"})
    assert started.status_code == 202
    assert auditor.get(f"/api/v1/runs/{started.json()['id']}").json()["outcome"] == "SUCCEEDED"
    shortages = auditor.get("/api/v1/discrepancies", params={"kind": "STOCK_SHORTAGE"}).json()["items"]
    assert [(d["lot_ref"], d["evidence"]["expected"], d["evidence"]["found"]) for d in shortages] == [
        ("LOT1", "80", "40")
    ]


def test_a_count_is_checked_before_it_is_kept(auditor):
    base = {"operator_code": "OP001", "lot_ref": "LOT1", "counted_at": "2026-11-01T10:00:00", "quantity": "1"}
    assert auditor.post("/api/v1/counts", json=base | {"unit": "LTR"}).json()["detail"] == (
        "unit: LTR cannot be converted to KGM, the unit the lot is booked in"
    )
    assert auditor.post("/api/v1/counts", json=base | {"unit": "KGM", "lot_ref": "NOPE"}).status_code == 404
    negative = auditor.post("/api/v1/counts", json=base | {"unit": "KGM", "quantity": "-1"})
    assert negative.status_code == 422 and "quantity" in negative.json()["errors"][0]["location"]
    assert auditor.get("/api/v1/counts").json() == []


def test_nul_characters_are_refused_as_bad_input_on_every_database(auditor):
    target = auditor.get("/api/v1/discrepancies").json()["items"][0]["id"]
    comment = auditor.post(f"/api/v1/discrepancies/{target}/comments", json={"body": "a\x00b"})
    assert comment.status_code == 422 and comment.json()["detail"] == "comment: it contains a control character"
    assert auditor.get("/api/v1/discrepancies", params={"lot_ref": "\x00"}).status_code == 422
    count = {"operator_code": "OP001", "lot_ref": "LOT1", "counted_at": "2026-11-01T10:00:00", "quantity": "1",
             "unit": "KGM", "note": "\x00"}  # fmt: skip
    refused = auditor.post("/api/v1/counts", json=count)
    assert refused.status_code == 422 and refused.json()["errors"][0]["location"] == "body.note"


def _answered(auditor, engine, document: bytes):
    """The clerk of OP001, asked about a finding, answers with ``document``: (finding, response)."""
    with Session(engine) as session:
        accounts.create(session, name="clerk", role="OPERATOR", operator_code="OP001", password=PASSWORD, actor="t")
        session.commit()
    target = auditor.get("/api/v1/discrepancies").json()["items"][0]["id"]
    asked = auditor.post(f"/api/v1/discrepancies/{target}/questions", json={"question": "where are the ten bags?"})
    assert asked.status_code == 201
    with TestClient(create_app()) as operator:
        csrf = operator.post("/api/v1/session", json={"name": "clerk", "password": PASSWORD}).json()["csrf_token"]
        return target, operator.post(
            f"/api/v1/discrepancies/{target}/answers",
            data={"body": "ten bags were returned to the supplier"},
            files={"file": ("return-note.pdf", document, "application/pdf")},
            headers={"X-CSRF-Token": csrf},
        )


def test_an_operator_answers_with_a_document_that_customs_can_download(auditor, zone_with_operators):
    target, sent = _answered(auditor, zone_with_operators, b"%PDF-1.4 return note")
    assert sent.status_code == 201, sent.text
    assert sent.json()["kind"] == "ANSWER" and sent.json()["attachment_name"] == "return-note.pdf"
    assert auditor.post(f"/api/v1/discrepancies/{target}/answers", data={"body": "x"}).status_code == 403
    note = auditor.get(f"/api/v1/discrepancies/{target}").json()["notes"][-1]
    document = auditor.get(f"/api/v1/discrepancies/{target}/notes/{note['id']}/attachment")
    assert document.content == b"%PDF-1.4 return note"


def test_an_answer_with_a_program_is_refused_and_stores_nothing(auditor, zone_with_operators):
    target, sent = _answered(auditor, zone_with_operators, b"MZ\x90\x00 a program")
    assert sent.status_code == 422 and "only a PDF, JPEG or PNG" in sent.text
    assert auditor.get(f"/api/v1/discrepancies/{target}").json()["notes"] == []


def test_a_run_cannot_start_while_another_is_in_progress(auditor, zone_with_operators):
    with RunLock(zone_with_operators).acquire():
        refused = auditor.post("/api/v1/runs", json={"zone_code": "ZFX"})
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")
    assert "a reconciliation is in progress" in refused.json()["detail"]
    assert [r["id"] for r in auditor.get("/api/v1/runs").json()] == [1]


def test_a_naive_as_of_never_answers_500_and_is_read_in_the_zones_local_time(zone_with_operators):
    with Session(zone_with_operators) as session:
        accounts.create(session, name="boss", role="ADMIN", password="correct horse battery staple", actor="t")
        session.commit()
    with TestClient(create_app()) as client:
        token = client.post("/api/v1/session", json={"name": "boss", "password": "correct horse battery staple"})
        client.headers["X-CSRF-Token"] = token.json()["csrf_token"]
        assert client.get("/api/v1/lots", params={"as_of": "2026-09-20T10:00:00"}).status_code == 200
        assert client.get("/api/v1/lots", params={"as_of": "2026-09-20"}).status_code == 200
        assert client.get("/api/v1/lots", params={"as_of": "yesterday"}).status_code == 422
        started = client.post("/api/v1/runs", json={"as_of": "2026-09-20", "zone_code": "ZFX"})
        assert started.status_code == 202, started.text
        run = client.get(f"/api/v1/runs/{started.json()['id']}").json()
        assert run["as_of"].startswith("2026-09-20T19:59:59.999999")  # the day's end in Asia/Dubai
        assert client.get(f"/api/v1/runs/{run['id']}/report").json() == []


def test_a_decision_from_a_status_no_longer_current_is_refused_and_one_without_it_still_recorded(auditor):
    target = auditor.get("/api/v1/discrepancies").json()["items"][0]["id"]
    first = auditor.post(f"/api/v1/discrepancies/{target}/decision", json={"status": "ESCALATED", "reason": "a"})
    late = auditor.post(
        f"/api/v1/discrepancies/{target}/decision", json={"status": "JUSTIFIED", "reason": "b", "seen_status": "OPEN"}
    )
    plain = auditor.post(f"/api/v1/discrepancies/{target}/decision", json={"status": "VIOLATION", "reason": "c"})
    assert first.status_code == 200 and late.status_code == 409 and "is now ESCALATED" in late.json()["detail"]
    assert plain.status_code == 200 and plain.json()["status"] == "VIOLATION"
