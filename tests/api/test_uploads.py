"""Sending files and rows through the API: the same checks and reports as the CLI."""

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.config import get_settings
from tests.helpers import admission, customs_item, stored, write_csv

PASSWORD = "correct horse battery staple"


@pytest.fixture
def api(zone_with_operators):
    """A client, and bearer headers for OP001's system and for the customs system."""
    with Session(zone_with_operators) as session:
        accounts.create(session, name="wms1", role="OPERATOR", operator_code="OP001", password=PASSWORD, actor="t")
        accounts.create(session, name="wms2", role="OPERATOR", operator_code="OP002", password=PASSWORD, actor="t")
        accounts.create(session, name="customs", role="ADMIN", password=PASSWORD, actor="t")
        tokens = {
            name: accounts.create_token(session, user_name=user, scope=scope, expires_days=None, actor="t")[1]
            for name, user, scope in [
                ("op1", "wms1", "movements:write"),
                ("op2", "wms2", "read"),
                ("customs", "customs", "customs:write"),
            ]
        }
        session.commit()
    with TestClient(create_app()) as client:
        client.auth_headers = {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}
        yield client


def test_json_rows_are_imported_and_reported(api, zone_with_operators):
    rows = [admission("M1"), admission("M2", lot="LOT2")]
    response = api.post("/api/v1/uploads/movements", json=rows, headers=api.auth_headers["op1"])
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["outcome"], report["rows_total"], report["rows_new"]) == ("ACCEPTED", 2, 2)
    assert (report["operator_code"], report["sent_by"], report["file_format"]) == ("OP001", "wms1", "json")
    assert stored(zone_with_operators) == (2, 0)


def test_a_csv_body_and_a_multipart_file_are_imported(api, zone_with_operators, tmp_path):
    csv_bytes = write_csv(tmp_path / "a.csv", [admission("M1")]).read_bytes()
    headers = api.auth_headers["op1"] | {"Content-Type": "text/csv"}
    assert api.post("/api/v1/uploads/movements", content=csv_bytes, headers=headers).status_code == 201
    other = write_csv(tmp_path / "b.csv", [admission("M2", lot="LOT2")]).read_bytes()
    sent = api.post(
        "/api/v1/uploads/movements", files={"file": ("stock.csv", other, "text/csv")}, headers=api.auth_headers["op1"]
    )
    assert sent.status_code == 201 and sent.json()["filename"] == "stock.csv"
    assert stored(zone_with_operators) == (2, 0)


def test_a_rejected_upload_names_every_row_and_column_and_stores_nothing(api, zone_with_operators):
    rows = [admission("M1"), admission("M2", quantity="-4"), admission("M3", unit="BOGUS")]
    response = api.post("/api/v1/uploads/movements", json=rows, headers=api.auth_headers["op1"])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["error_count"] == 2
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(2, "quantity"), (3, "unit")]
    assert stored(zone_with_operators) == (0, 0)
    kept = api.get(f"/api/v1/uploads/{problem['upload_id']}", headers=api.auth_headers["op1"]).json()
    assert kept["outcome"] == "REJECTED" and kept["error_count"] == 2


@pytest.mark.parametrize(("setting", "value"), [("FTZ_UPLOAD_MAX_BYTES", "300"), ("FTZ_UPLOAD_MAX_ROWS", "2")])
def test_past_a_configured_limit_the_upload_is_refused_with_413(api, zone_with_operators, monkeypatch, setting, value):
    monkeypatch.setenv(setting, value)
    get_settings.cache_clear()
    rows = [admission(f"M{n}", lot=f"LOT{n}") for n in range(3)]
    response = api.post("/api/v1/uploads/movements", json=rows, headers=api.auth_headers["op1"])
    assert response.status_code == 413, response.text
    assert "allowed" in response.json()["detail"]
    assert stored(zone_with_operators) == (0, 0)


def test_the_raw_file_comes_back_byte_for_byte(api):
    body = json.dumps([admission("M1")], indent=1).encode()
    headers = api.auth_headers["op1"] | {"Content-Type": "application/json"}
    upload_id = api.post("/api/v1/uploads/movements", content=body, headers=headers).json()["id"]
    assert api.get(f"/api/v1/uploads/{upload_id}/file", headers=api.auth_headers["op1"]).content == body
    assert api.get(f"/api/v1/uploads/{upload_id}/file", headers=api.auth_headers["op2"]).status_code == 404


def test_customs_sends_a_batch(api, zone_with_operators):
    response = api.post("/api/v1/uploads/customs", json=[customs_item()], headers=api.auth_headers["customs"])
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "CUSTOMS" and stored(zone_with_operators) == (0, 1)


def test_an_empty_body_is_a_clear_error(api):
    response = api.post("/api/v1/uploads/movements", content=b"", headers=api.auth_headers["op1"])
    assert response.status_code == 422
    assert response.json()["detail"] == "the request has no body: send the file, or a JSON array of rows"
