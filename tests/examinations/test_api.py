"""Selectivity through the API and examinations: a RED item opens an examination of its lot,
customs records the result, which counts as a customs count and, under another HS subheading
than declared, raises CLASSIFICATION_MISMATCH. Operators see none of it."""

import io

from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.app import create_app
from ftz.cli.main import app
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Discrepancy
from ftz.examinations.models import Examination
from tests.examinations.builders import RESULT, item, login, send


def test_the_customs_upload_answers_each_items_channel_and_profiles(world):
    _, tokens = world
    with TestClient(create_app()) as client:
        sent = send(client, tokens["customs"], item(), item(item_no="2", origin_country="KR", lot_ref="LOT2"))
    assert sent.status_code == 201, sent.text
    assert [(s["item_no"], s["channel"], s["profiles"]) for s in sent.json()["selectivity"]] == [
        (1, "RED", ["RP-VAN-CN"]), (2, "GREEN", []),
    ]  # fmt: skip
    assert sent.json()["selectivity"][0]["examination_id"] is not None


def test_customs_lists_the_examination_with_its_reasons_and_operators_never_see_it(world):
    _, tokens = world
    with TestClient(create_app()) as client:
        send(client, tokens["customs"], item())
        listed = client.get("/api/v1/examinations", headers=tokens["aud"])
        hidden = client.get("/api/v1/examinations", headers=tokens["op"])
        profiles_hidden = client.get("/api/v1/profiles", headers=tokens["op"])
    assert [(e["lot_ref"], e["reasons"], e["status"]) for e in listed.json()] == [("LOT1", ["RP-VAN-CN"], "OPEN")]
    assert hidden.status_code == profiles_hidden.status_code == 403
    assert "RP-VAN-CN" not in hidden.text


def test_the_result_counts_and_another_subheading_raises_a_classification_mismatch(world):
    engine, tokens = world
    with TestClient(create_app()) as client:
        exam_id = send(client, tokens["customs"], item()).json()["selectivity"][0]["examination_id"]
        recorded = client.post(f"/api/v1/examinations/{exam_id}/result", json=RESULT, headers=login(client, "aud"))
        again = client.post(f"/api/v1/examinations/{exam_id}/result", json=RESULT, headers=login(client, "aud"))
        lot = client.get("/api/v1/lots/OP001/LOT1", headers=tokens["aud"]).json()
    assert recorded.status_code == 200, recorded.text
    assert (recorded.json()["status"], recorded.json()["found_hs_code"]) == ("DONE", "720292")
    assert again.status_code == 409
    note = f"examination {exam_id}: goods found under HS 720292, declared 81129200"
    assert [(c["quantity"], c["note"]) for c in lot["counts"]] == [("950", note)]
    runs.run(engine)
    with Session(engine) as session:
        found = {d.kind: d for d in session.exec(select(Discrepancy)).all()}
    mismatch = found["CLASSIFICATION_MISMATCH"]
    assert (mismatch.evidence["expected"], mismatch.evidence["found"]) == ("811292", "720292")
    assert f"examination {exam_id}" in mismatch.evidence["found_from"]
    assert "STOCK_SHORTAGE" in found  # 950 counted of the 1,000 booked


def test_the_same_subheading_raises_no_mismatch(world):
    engine, tokens = world
    with TestClient(create_app()) as client:
        exam_id = send(client, tokens["customs"], item()).json()["selectivity"][0]["examination_id"]
        body = RESULT | {"hs_code": "81129290", "quantity": "1000"}
        assert client.post(f"/api/v1/examinations/{exam_id}/result", json=body,
                           headers=login(client, "aud")).status_code == 200  # fmt: skip
    runs.run(engine)
    with Session(engine) as session:
        kinds = {d.kind for d in session.exec(select(Discrepancy)).all()}
    assert "CLASSIFICATION_MISMATCH" not in kinds and "STOCK_SHORTAGE" not in kinds


def test_a_photo_is_kept_with_the_result_and_other_types_are_refused(world):
    engine, tokens = world
    with TestClient(create_app()) as client:
        exam_id = send(client, tokens["customs"], item()).json()["selectivity"][0]["examination_id"]
        url = f"/api/v1/examinations/{exam_id}/result"
        program = {"attachment": ("x.exe", io.BytesIO(b"MZ"), "application/x-msdownload")}
        refused = client.post(url, data=RESULT, files=program, headers=login(client, "aud"))
        photo = b"\x89PNG\r\n\x1a\n" + b"0" * 100
        kept = client.post(url, data=RESULT, files={"attachment": ("drums.png", io.BytesIO(photo), "image/png")},
                           headers=login(client, "aud"))  # fmt: skip
        back = client.get(f"/api/v1/examinations/{exam_id}/attachment", headers=tokens["aud"])
    assert refused.status_code == 422 and "not accepted" in refused.text
    assert kept.status_code == 200, kept.text
    assert (kept.json()["attachment_name"], back.content) == ("drums.png", photo)
    with Session(engine) as session:
        assert session.exec(select(Examination)).one().status == "DONE"


def test_a_count_in_another_dimension_than_the_lot_is_refused_and_nothing_recorded(world):
    _, tokens = world
    with TestClient(create_app()) as client:
        exam_id = send(client, tokens["customs"], item()).json()["selectivity"][0]["examination_id"]
        refused = client.post(f"/api/v1/examinations/{exam_id}/result", json=RESULT | {"unit": "LTR"},
                              headers=login(client, "aud"))  # fmt: skip
        shown = client.get(f"/api/v1/examinations/{exam_id}", headers=tokens["aud"]).json()
    assert refused.status_code == 422 and "cannot be converted to KGM" in refused.text
    assert (shown["status"], shown["stock_count_id"]) == ("OPEN", None)


def test_the_examinations_count_is_sealed_so_the_audit_trail_verifies(world):
    _, tokens = world
    with TestClient(create_app()) as client:
        exam_id = send(client, tokens["customs"], item()).json()["selectivity"][0]["examination_id"]
        client.post(f"/api/v1/examinations/{exam_id}/result", json=RESULT, headers=login(client, "aud"))
    verified = CliRunner().invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
