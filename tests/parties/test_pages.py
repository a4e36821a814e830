"""The pages: an auditor searches a name against the list in force, and reads a DENIED_PARTY
finding's party and entry; an operator has no parties page."""

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.discrepancies import service as runs
from tests.parties.test_screening import ENTRY, PASSWORD, denied, load_list, send


def logged_in(name: str) -> TestClient:
    client = TestClient(create_app())
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    return client


def test_an_auditor_searches_a_name_and_reads_the_finding(zone_with_operators, tmp_path):
    with Session(zone_with_operators) as session:
        accounts.create(session, name="aud", role="AUDITOR", password=PASSWORD, actor="t")
        accounts.create(session, name="op1", role="OPERATOR", password=PASSWORD, operator_code="OP001", actor="t")
        session.commit()
    load_list(tmp_path, ENTRY)
    send(zone_with_operators, tmp_path, "M1", "LOT1", "Scientific Studies & Research Centre")
    runs.run(zone_with_operators)
    [finding] = denied(zone_with_operators)
    with logged_in("aud") as auditor:
        page = auditor.get("/parties", params={"name": "S.S.R.C."})
        assert page.status_code == 200
        assert "Scientific Studies and Research Center" in page.text and "SYe.001" in page.text
        assert "No entry of the list in force matches it" in auditor.get("/parties", params={"name": "Acme"}).text
        detail = auditor.get(f"/discrepancies/{finding.id}").text
        assert "Scientific Studies &amp; Research Centre" in detail and "2017-05-01" in detail
        assert "SSRC; CERS" in detail and "UN SC" in detail
    with logged_in("op1") as operator:
        assert operator.get("/parties", params={"name": "SSRC"}).status_code in (403, 404)
        assert "Parties" not in operator.get("/lots").text
