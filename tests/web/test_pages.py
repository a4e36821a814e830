"""The pages without a browser: what they show each role, exports, and forms without JavaScript."""

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.auth.scope import SYSTEM
from ftz.cli.main import app
from ftz.database import utcnow
from ftz.discrepancies import review
from ftz.discrepancies import service as runs
from ftz.discrepancies.lock import RunLock
from ftz.discrepancies.models import Discrepancy, Run
from ftz.ledger.models import StockCount
from tests.helpers import admission, customs_item, import_customs, import_movements, removal, write_csv

PASSWORD = "correct horse battery staple"
runner = CliRunner()


@pytest.fixture
def auditor(zone_with_operators, tmp_path):
    """Three quantity mismatches (one on a lot named like a spreadsheet formula), an auditor logged in."""
    lots = ["LOT1", "LOT2", "=HYPERLINK(1)"]
    items = [customs_item(f"D{n}", lot_ref=lot, quantity="100", unit="KGM") for n, lot in enumerate(lots)]
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", items))
    moves = [admission(f"M{n}", lot=lot, customs_ref=f"D{n}", quantity="90") for n, lot in enumerate(lots)]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", moves))
    runs.run(zone_with_operators)
    with Session(zone_with_operators) as session:
        accounts.create(session, name="aud", role="AUDITOR", password=PASSWORD, actor="t")
        session.commit()
    with logged_in("aud") as client:
        yield client


@contextmanager
def logged_in(name: str) -> Iterator[TestClient]:
    """A browser logged in through the login form."""
    with TestClient(create_app()) as client:
        client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf(client.get("/login").text)})
        yield client


def csrf(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_queue_exports_as_csv_with_no_cell_a_formula(auditor):
    response = auditor.get("/discrepancies/export.csv", params={"kind": "QUANTITY_MISMATCH"})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r["lot_ref"] for r in rows) == ["'=HYPERLINK(1)", "LOT1", "LOT2"]
    assert {r["kind"] for r in rows} == {"QUANTITY_MISMATCH"}


def test_the_queue_exports_as_xlsx_with_text_cells_only(auditor):
    response = auditor.get("/discrepancies/export.xlsx", params={"operator": "OP001"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    lots = sorted(row[header.index("lot_ref")] for row in rows)
    assert lots == ["'=HYPERLINK(1)", "LOT1", "LOT2"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_an_empty_filter_says_so(auditor):
    page = auditor.get("/discrepancies", params={"kind": "STOCK_SHORTAGE"})
    assert "No discrepancy matches these filters." in page.text


def test_a_decision_without_javascript_and_without_a_reason_is_refused_with_the_reason(auditor):
    page = auditor.get("/discrepancies")
    target = re.search(r'href="/discrepancies/(\d+)"', page.text).group(1)
    token = csrf(auditor.get(f"/discrepancies/{target}").text)
    refused = auditor.post(f"/discrepancies/{target}/decision", data={"status": "ESCALATED", "csrf_token": token})
    assert refused.status_code == 422 and "reason: it is empty" in refused.text
    done = auditor.post(
        f"/discrepancies/{target}/decision", data={"status": "ESCALATED", "reason": "no licence", "csrf_token": token}
    )
    assert done.status_code == 200 and "Decision recorded: ESCALATED" in done.text
    assert "discrepancy.decided" in done.text


def test_a_decision_made_by_another_auditor_meanwhile_is_not_overwritten(auditor, zone_with_operators):
    target = re.search(r'href="/discrepancies/(\d+)"', auditor.get("/discrepancies").text).group(1)
    page = auditor.get(f"/discrepancies/{target}").text
    seen = re.search(r'name="seen_status" value="([A-Z_]+)"', page).group(1)
    with Session(zone_with_operators) as session:  # a colleague decides while the page is open
        review.decide(session, caller=SYSTEM, discrepancy_id=int(target), status="VIOLATION", reason="seen on site")
        session.commit()
    form = {"status": "JUSTIFIED", "reason": "samples", "seen_status": seen, "csrf_token": csrf(page)}
    late = auditor.post(f"/discrepancies/{target}/decision", data=form)
    assert seen == "OPEN" and late.status_code == 409 and "is now VIOLATION, not OPEN" in late.text
    with Session(zone_with_operators) as session:
        assert session.get(Discrepancy, int(target)).status == "VIOLATION"


def test_a_page_without_a_session_sends_the_browser_to_login(zone_with_operators):
    with TestClient(create_app()) as client:
        response = client.get("/discrepancies", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"


def test_a_count_recorded_from_the_lot_page_shows_in_its_timeline(auditor):
    page = auditor.get("/lots/OP001/LOT1")
    token = csrf(page.text)
    form = {"operator_code": "OP001", "lot_ref": "LOT1", "counted_at": "2026-11-02T09:30", "quantity": "85",
            "unit": "KGM", "note": "bay 4", "csrf_token": token}  # fmt: skip
    after = auditor.post("/counts", data=form)
    assert after.status_code == 200 and "Count recorded: 85 KGM" in after.text
    assert re.search(r"<td>inspection</td><td>count \d+ by aud</td><td>COUNT</td><td class=\"num\">85</td>", after.text)


def test_a_count_form_sent_twice_records_one_count(auditor, zone_with_operators):
    token = csrf(auditor.get("/lots/OP001/LOT1").text)
    form = {"operator_code": "OP001", "lot_ref": "LOT1", "counted_at": "2026-11-02T09:30", "quantity": "85",
            "unit": "kgm", "csrf_token": token}  # fmt: skip
    first, again = auditor.post("/counts", data=form), auditor.post("/counts", data=form | {"quantity": "85.000"})
    later = auditor.post("/counts", data=form | {"counted_at": "2026-11-02T11:00"})
    assert first.status_code == 200 and later.status_code == 200
    assert again.status_code == 409 and "already records 85.000 KGM of lot LOT1" in again.text
    with Session(zone_with_operators) as session:
        assert len(session.exec(select(StockCount)).all()) == 2


def test_the_lot_page_shows_times_in_the_zones_local_time_as_they_were_typed(auditor):
    token = csrf(auditor.get("/lots/OP001/LOT1").text)
    form = {"operator_code": "OP001", "lot_ref": "LOT1", "counted_at": "2026-11-02T09:30", "quantity": "85",
            "unit": "KGM", "csrf_token": token}  # fmt: skip
    auditor.post("/counts", data=form)
    auditor.post("/holds", data={"operator_code": "OP001", "lot_ref": "LOT1", "reason": "referral",
                                 "starts_at": "2026-11-03T08:15", "csrf_token": token})  # fmt: skip
    page = auditor.get("/lots/OP001/LOT1").text
    assert "<th>When (Asia/Dubai)</th>" in page and "<th>From (Asia/Dubai)</th>" in page
    assert "<td>2026-11-02 09:30</td><td>inspection</td>" in page and "<td>2026-11-03 08:15</td>" in page


def test_the_next_lots_link_walks_every_lot(auditor, monkeypatch):
    from ftz.ledger import lots

    monkeypatch.setitem(lots.get_all.__kwdefaults__, "limit", 2)  # the fixture's three lots on two pages
    first = auditor.get("/lots")
    following = re.search(r'href="(/lots\?[^"]+)">Next lots', first.text).group(1).replace("&amp;", "&")
    second = auditor.get(following)
    assert second.status_code == 200 and "Next lots" not in second.text
    shown = re.findall(r'href="/lots/OP001/([^"]+)"', first.text + second.text)
    assert sorted(shown) == sorted(["LOT1", "LOT2", "%3DHYPERLINK%281%29"])


def test_a_lot_whose_reference_holds_slashes_opens_and_takes_holds(auditor, zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "s.csv", [admission("MS", lot="RV/2026/7")]))
    listed = auditor.get("/lots").text
    link = re.search(r'href="(/lots/OP001/RV[^"]+)"', listed).group(1)
    page = auditor.get(link)
    assert page.status_code == 200 and "<h1>Lot RV/2026/7" in page.text
    form = {"operator_code": "OP001", "lot_ref": "RV/2026/7", "reason": "referral", "csrf_token": csrf(page.text)}
    placed = auditor.post("/holds", data=form)
    assert placed.status_code == 200 and "Hold" in placed.text and "<h1>Lot RV/2026/7" in placed.text
    assert auditor.get("/api/v1/lots/OP001/RV/2026/7/journey").status_code == 200
    assert auditor.get("/api/v1/lots/OP001/RV%2F2026%2F7").json()["lot"]["lot_ref"] == "RV/2026/7"


def test_a_processing_finding_draws_its_inputs_and_outputs(auditor, zone_with_operators, tmp_path):
    rows = [
        admission("P0", lot="RAW", customs_ref="D0", quantity="100"),
        admission("P1", lot="RAW", movement_type="CONSUME", process_ref="PR-1", quantity="100", customs_ref="",
                  origin_country="", occurred_at="2026-09-05T08:00:00"),
        admission("P2", lot="PART", movement_type="PRODUCE", process_ref="PR-1", quantity="40", customs_ref="",
                  origin_country="", occurred_at="2026-09-06T08:00:00"),
    ]  # fmt: skip
    import_movements(zone_with_operators, write_csv(tmp_path / "p.csv", rows), operator="OP002")
    runs.run(zone_with_operators)
    page = auditor.get("/discrepancies", params={"kind": "PROCESSING_LOSS"})
    target = re.search(r'href="/discrepancies/(\d+)"', page.text).group(1)
    finding = auditor.get(f"/discrepancies/{target}").text
    figure = re.search(r'<figure class="lineage".*?</figure>', finding, re.S).group(0)
    inputs, outputs = re.findall(r'<ul class="lots">(.*?)</ul>', figure, re.S)
    assert ">RAW</a><br>100 KGM" in inputs and ">PART</a><br>40 KGM" in outputs
    assert "<strong>PR-1</strong>" in figure


def test_findings_are_assigned_in_bulk_and_the_queue_filters_by_assignee(auditor, zone_with_operators):
    with Session(zone_with_operators) as session:
        accounts.create(session, name="aud2", role="AUDITOR", password=PASSWORD, zone_codes=["ZFX"], actor="t")
        session.commit()
    queue = auditor.get("/discrepancies")
    ids = re.findall(r'name="ids" value="(\d+)"', queue.text)
    token = csrf(queue.text)
    done = auditor.post(
        "/discrepancies/assignments", data={"ids": ids[:2], "assignee": "aud2", "csrf_token": token, "back": "/x"}
    )
    assert done.status_code == 200 and "2 assigned to aud2" in done.text
    mine = auditor.get("/discrepancies", params={"assignee": "aud2"})
    assert sorted(re.findall(r'name="ids" value="(\d+)"', mine.text)) == sorted(ids[:2])
    refused = auditor.post(
        "/discrepancies/assignments", data={"ids": ids[:1], "assignee": "nobody-here", "csrf_token": token}
    )
    assert refused.status_code == 422 and "is not an auditor" in refused.text


def test_the_queue_orders_newest_first_and_filters_by_day(auditor):
    newest = re.findall(r'name="ids" value="(\d+)"', auditor.get("/discrepancies", params={"order": "newest"}).text)
    assert newest == sorted(newest, key=int, reverse=True)
    assert "No discrepancy matches" in auditor.get("/discrepancies", params={"since": "2999-01-01"}).text
    assert auditor.get("/discrepancies", params={"since": "yesterday"}).status_code == 422


def test_a_page_that_fails_unexpectedly_is_an_error_page_and_the_api_stays_json(auditor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("ftz.holds.lots.get_all", broken)
    cookies = dict(auditor.cookies)
    with TestClient(create_app(), raise_server_exceptions=False, cookies=cookies) as client:
        page, api = client.get("/lots"), client.get("/api/v1/lots")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Internal error" in page.text and "disk on fire" not in page.text
    assert api.status_code == 500 and api.headers["content-type"] == "application/problem+json"


def test_an_id_no_database_could_hold_is_simply_not_found(auditor):
    token = csrf(auditor.get("/discrepancies").text)
    response = auditor.post("/discrepancies/assignments", data={"ids": ["9223372036854775808"], "csrf_token": token})
    assert response.status_code == 404 and "no discrepancy 9223372036854775808" in response.text


def test_the_dashboard_and_runs_page_warn_when_the_last_success_is_over_a_day_old(auditor, zone_with_operators):
    for path in ("/", "/runs"):
        assert "Last successful reconciliation: run 1" in auditor.get(path).text
        assert 'class="warning"' not in auditor.get(path).text
    with zone_with_operators.begin() as conn:
        conn.execute(update(Run).values(finished_at=utcnow() - timedelta(hours=30)))
    for path in ("/", "/runs"):
        warning = re.search(r'<p class="warning"[^>]*>(.*?)</p>', auditor.get(path).text, re.S)
        assert warning and "older than 24 hours" in warning.group(1) and "(30 h ago)" in warning.group(1)


def test_a_run_started_from_the_page_while_one_is_in_progress_says_so(auditor, zone_with_operators):
    token = csrf(auditor.get("/runs").text)
    with RunLock(zone_with_operators).acquire():
        answer = auditor.post("/runs", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert answer.status_code == 409 and answer.headers["HX-Retarget"] == "#flash"
    assert "a reconciliation is in progress" in answer.text


def test_an_auditor_of_one_zone_starts_a_run_of_it_without_naming_it(auditor, zone_with_operators, monkeypatch):
    monkeypatch.setattr(runs, "execute_in_background", lambda engine, started: None)
    with Session(zone_with_operators) as session:
        accounts.create(session, name="aud.x", role="AUDITOR", password=PASSWORD, zone_codes=["ZFX"], actor="t")
        session.commit()
    with logged_in("aud.x") as client:
        page = client.get("/runs").text
        started = client.post("/runs", data={"csrf_token": csrf(page), "zone": ""}, follow_redirects=False)
    assert "All zones" not in page and "<option>ZFX</option>" in page
    assert started.status_code == 303
    with Session(zone_with_operators) as session:
        assert session.exec(select(Run).order_by(Run.id.desc())).first().zone_code == "ZFX"


def test_the_warning_names_a_zone_left_behind_only_to_auditors_of_that_zone(auditor, zone_with_operators):
    assert runner.invoke(app, ["zone", "add", "ZFY", "--name", "Y", "--country", "AE"]).exit_code == 0
    page = auditor.get("/").text
    warning = re.search(r'<p class="warning"[^>]*>(.*?)</p>', page, re.S)
    assert warning and "zones not reconciled for over 24 hours: ZFY" in warning.group(1), page[:3000]
    with Session(zone_with_operators) as session:
        accounts.create(session, name="aud.x", role="AUDITOR", password=PASSWORD, zone_codes=["ZFX"], actor="t")
        session.commit()
    with logged_in("aud.x") as client:
        page = client.get("/").text
    assert "Last successful reconciliation: run 1" in page and "ZFY" not in page


def test_a_file_named_in_arabic_is_stored_and_its_name_shown(zone_with_operators, tmp_path):
    with Session(zone_with_operators) as session:
        accounts.create(session, name="clerk", role="OPERATOR", operator_code="OP001", password=PASSWORD, actor="t")
        session.commit()
    body = write_csv(tmp_path / "m.csv", [admission()]).read_bytes()
    with logged_in("clerk") as client:
        token = csrf(client.get("/uploads").text)
        sent = client.post("/uploads", files={"file": ("حركات.csv", body, "text/csv")}, data={"csrf_token": token})
        assert sent.status_code == 200, sent.text[:300]
        assert "حركات.csv" in sent.text and "1 new" in sent.text


def test_the_upload_history_pages_back_to_the_oldest(auditor, zone_with_operators, tmp_path, monkeypatch):
    monkeypatch.setattr("ftz.web.uploads._PAGE", 2)  # the auditor's fixture sent two files
    import_movements(zone_with_operators, write_csv(tmp_path / "third.csv", [admission("M9", lot="LOT9")]))
    newest = auditor.get("/uploads").text
    assert "third.csv" in newest and "c.csv" not in newest
    older = re.search(r'href="(/uploads\?before=\d+)">Older uploads', newest).group(1)
    oldest = auditor.get(older).text
    assert "c.csv" in oldest and "third.csv" not in oldest and "m.csv" not in oldest
    assert "Older uploads" not in oldest and 'href="/uploads">Newest uploads' in oldest


def test_the_errors_csv_of_a_rejected_upload_has_no_formula_in_any_cell(zone_with_operators, tmp_path):
    with Session(zone_with_operators) as session:
        accounts.create(session, name="clerk", role="OPERATOR", operator_code="OP001", password=PASSWORD, actor="t")
        session.commit()
    planted = write_csv(tmp_path / "m.csv", [admission() | {'=HYPERLINK("http://x")': "1"}]).read_bytes()
    with logged_in("clerk") as client:
        token = csrf(client.get("/uploads").text)
        sent = client.post("/uploads", files={"file": ("m.csv", planted, "text/csv")}, data={"csrf_token": token})
        upload = re.search(r"/uploads/(\d+)", str(sent.url)).group(1)
        rows = list(csv.reader(io.StringIO(client.get(f"/uploads/{upload}/errors.csv").text)))
    assert len(rows) > 1 and not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_count_dated_after_today_or_of_no_quantity_is_refused_naming_the_field(auditor, zone_with_operators):
    token = csrf(auditor.get("/lots/OP001/LOT1").text)
    form = {"operator_code": "OP001", "lot_ref": "LOT1", "unit": "KGM", "csrf_token": token}
    ahead = auditor.post("/counts", data=form | {"counted_at": "2999-12-02T10:30", "quantity": "85"})
    words = auditor.post("/counts", data=form | {"counted_at": "2026-11-02", "quantity": "abc"})
    below = auditor.post("/counts", data=form | {"counted_at": "2026-11-02", "quantity": "-5"})
    assert ahead.status_code == 422 and "counted_at: 2999-12-02 10:30 is after today" in ahead.text
    assert words.status_code == 422 and "quantity: Input should be a valid decimal" in words.text
    assert below.status_code == 422 and "quantity: Input should be greater than or equal to 0" in below.text
    with Session(zone_with_operators) as session:
        assert session.exec(select(StockCount)).all() == []


def test_a_count_dated_in_words_is_refused_with_the_reason_and_a_bare_date_is_that_days_end(auditor):
    token = csrf(auditor.get("/lots/OP001/LOT1").text)
    form = {"operator_code": "OP001", "lot_ref": "LOT1", "quantity": "85", "unit": "KGM", "csrf_token": token}
    refused = auditor.post("/counts", data=form | {"counted_at": "yesterday"})
    assert refused.status_code in (400, 422) and "not an ISO 8601 date" in refused.text
    recorded = auditor.post("/counts", data=form | {"counted_at": "2026-11-02"})
    assert recorded.status_code == 200 and "<td>2026-11-02 23:59</td>" in recorded.text  # the day's end in Asia/Dubai


def _run_and_read(engine, which) -> tuple[Discrepancy, str]:
    """A run, then the page of the one finding ``which`` selects, as an auditor reads it."""
    runs.run(engine)
    with Session(engine) as session:
        accounts.create(session, name="aud", role="AUDITOR", password=PASSWORD, actor="t")
        session.commit()
        finding = session.exec(select(Discrepancy).where(which)).one()
    with logged_in("aud") as client:
        return finding, client.get(f"/discrepancies/{finding.id}").text


def test_a_finding_on_a_lot_the_operator_never_booked_names_it_without_a_dead_link(zone_with_operators, tmp_path):
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [customs_item("D9", lot_ref="GHOST")]))
    finding, page = _run_and_read(zone_with_operators, Discrepancy.lot_ref == "GHOST")
    assert finding.kind == "UNRECORDED_ADMISSION"
    assert "/lots/OP001/GHOST" not in page and "GHOST (never booked by the operator)" in page


def test_an_auditor_of_one_zone_reads_the_last_run_that_covered_it(auditor, zone_with_operators):
    assert runner.invoke(app, ["zone", "add", "ZFY", "--name", "Y", "--country", "AE"]).exit_code == 0
    runs.run(zone_with_operators, zone_code="ZFY")  # run 2: the other zone only
    with Session(zone_with_operators) as session:
        accounts.create(session, name="aud.x", role="AUDITOR", password=PASSWORD, zone_codes=["ZFX"], actor="t")
        session.commit()
    with logged_in("aud.x") as client:
        for path in ("/", "/runs"):
            assert "Last successful reconciliation: run 1" in client.get(path).text


def test_an_auditor_of_one_zone_reads_no_other_zones_figures_in_runs_of_every_zone(auditor, zone_with_operators):
    runs.run(zone_with_operators, zone_code="ZFX")  # run 2: its own zone
    with Session(zone_with_operators) as session:
        accounts.create(session, name="aud.x", role="AUDITOR", password=PASSWORD, zone_codes=["ZFX"], actor="t")
        session.commit()
    with logged_in("aud.x") as client:
        listed, dashboard = client.get("/runs").text, client.get("/").text
    assert "a run of every zone: its figures count other zones" in listed and listed.count("quantity mismatch 3") == 1
    assert "run 2: 3" in dashboard and "run 1: 3" not in dashboard
    assert "a run of every zone" not in auditor.get("/runs").text  # an auditor of every zone reads them all


def test_a_form_sent_without_a_field_it_needs_gets_a_page_naming_it(zone_with_operators):
    with Session(zone_with_operators) as session:
        accounts.create(session, name="clerk", role="OPERATOR", operator_code="OP001", password=PASSWORD, actor="t")
        session.commit()
    with logged_in("clerk") as client:
        sent = client.post("/uploads", data={"csrf_token": csrf(client.get("/uploads").text)})
    assert sent.status_code == 422 and sent.headers["content-type"].startswith("text/html")
    assert "file: Field required" in sent.text


def test_a_transit_time_reads_in_days_not_in_the_goods_unit(zone_with_operators, tmp_path):
    assert runner.invoke(app, ["zone", "add", "ZFY", "--name", "Y", "--country", "OM"]).exit_code == 0
    transfer = customs_item("26AE0002", direction="REMOVAL", procedure="TRANSFER", destination_zone="ZFY",
                            destination_country="OM", lodged_at="2026-09-02T07:00:00", origin_country="")  # fmt: skip
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [customs_item(), transfer]))
    moves = [admission(), removal(customs_ref="26AE0002", destination_country="OM", occurred_at="2026-09-02T08:00:00")]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", moves))
    _, page = _run_and_read(zone_with_operators, Discrepancy.kind == "TRANSFER_NOT_ARRIVED")
    assert re.search(r"Tolerance applied: ([^<]*)</p>", page).group(1).strip() == "10 days"
