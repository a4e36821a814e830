"""The pages of risk profiles and examinations: customs reads the profiles in force with their
findings and backtests a file, lists examinations and records a result with the form; a
finding shows the profile and each condition that held. Operators reach none of it."""

import io
import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ftz.app import create_app
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Discrepancy
from tests.examinations.builders import PROFILES, item, send
from tests.web.test_pages import csrf, logged_in


def _arrived(tokens) -> int:
    with TestClient(create_app()) as client:
        return send(client, tokens["customs"], item()).json()["selectivity"][0]["examination_id"]


def test_customs_reads_the_profiles_in_force_with_their_open_findings(world):
    engine, tokens = world
    _arrived(tokens)
    runs.run(engine)
    with logged_in("aud") as auditor:
        page = auditor.get("/profiles")
    assert page.status_code == 200
    assert "RP-VAN-CN" in page.text and "Vanadium from China" in page.text
    assert re.search(r'RISK_PROFILE_HIT">1</a>', page.text)


def test_the_backtest_page_counts_a_files_hits_and_names_a_bad_files_errors(world):
    _, tokens = world
    _arrived(tokens)
    with logged_in("aud") as auditor:
        token = csrf(auditor.get("/profiles").text)
        files = {"file": ("p.yaml", io.BytesIO(PROFILES.encode()), "application/yaml")}
        tested = auditor.post("/profiles/test", data={"csrf_token": token}, files=files)
        bad = PROFILES.replace("origins: [CN]", "origins: [XX]").encode()
        files = {"file": ("bad.yaml", io.BytesIO(bad), "application/yaml")}
        refused = auditor.post("/profiles/test", data={"csrf_token": token}, files=files)
    assert tested.status_code == 200 and re.search(r"<td>RP-VAN-CN</td><td class=\"num\">1</td>", tested.text)
    assert refused.status_code == 422
    assert (
        "profile RP-VAN-CN, field when.origins: &#39;XX&#39; is not an ISO 3166-1 alpha-2 country code" in refused.text
    )


def test_an_officer_records_the_result_with_the_form_and_it_shows_on_the_lots_timeline(world):
    _, tokens = world
    exam_id = _arrived(tokens)
    with logged_in("aud") as auditor:
        listed = auditor.get("/examinations")
        page = auditor.get(f"/examinations/{exam_id}")
        form = {"quantity": "990", "unit": "KGM", "hs_code": "720292", "description": "ferro-vanadium",
                "csrf_token": csrf(page.text)}  # fmt: skip
        # a phone's photo, larger than a form may be
        photo = {"attachment": ("bay4.jpg", io.BytesIO(b"\xff\xd8\xff" + b"0" * 2_000_000), "image/jpeg")}
        recorded = auditor.post(f"/examinations/{exam_id}", data=form, files=photo, follow_redirects=False)
        shown = auditor.get(f"/examinations/{exam_id}").text
        timeline = auditor.get("/lots/OP001/LOT1").text
    assert "RP-VAN-CN" in listed.text and "26AE0001/1" in listed.text
    assert recorded.status_code == 303
    assert "another subheading than declared" in shown and "bay4.jpg" in shown
    assert f"examination {exam_id}" in timeline and "990" in timeline


def test_a_finding_shows_the_profile_and_each_condition_that_held(world):
    engine, tokens = world
    _arrived(tokens)
    runs.run(engine)
    with Session(engine) as session:
        hit = session.exec(select(Discrepancy).where(Discrepancy.kind == "RISK_PROFILE_HIT")).one()
    with logged_in("aud") as auditor:
        page = auditor.get(f"/discrepancies/{hit.id}").text
    assert "Risk profile RP-VAN-CN" in page
    assert "origin CN (one of CN)" in page and "HS code 81129200 (starts with one of 8112)" in page


def test_operators_reach_neither_profiles_nor_examinations(world):
    _, tokens = world
    exam_id = _arrived(tokens)
    with logged_in("op") as operator:
        pages = [operator.get(path) for path in ("/profiles", "/examinations", f"/examinations/{exam_id}")]
        lot = operator.get("/lots/OP001/LOT1").text
    assert [p.status_code for p in pages] == [403, 403, 403]
    assert all("RP-VAN-CN" not in p.text for p in pages)
    assert "RP-VAN-CN" not in lot and f"examination {exam_id}" not in lot
