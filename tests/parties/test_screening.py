"""Screening in runs (contract sections 7 and 9): DENIED_PARTY found on records imported as users
send them, kept as one finding per operator, name and entry while records of the name keep
coming, re-screened when a new list is loaded, and a dismissal remembered until the entry changes."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.cli.main import app
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Discrepancy
from tests.helpers import admission, customs_item, import_customs, import_movements, write_csv

PASSWORD = "correct horse battery staple"
ENTRY = {
    "entry_id": "SY-1", "name": "Scientific Studies and Research Center", "aliases": "SSRC;CERS", "kind": "ENTITY",
    "countries": "SY", "list": "UN SC", "reference": "SYe.001", "listed_on": "2017-05-01",
}  # fmt: skip
OTHER = {"entry_id": "IR-2", "name": "Tamir Aerospace International Group", "kind": "ENTITY"}


def load_list(tmp_path, *entries: dict, name: str = "parties.csv") -> None:
    path = write_csv(tmp_path / name, list(entries))
    result = CliRunner().invoke(app, ["reference", "load", "parties", str(path), "--source", "UN SC 2026-12-01"])
    assert result.exit_code == 0, result.output


def denied(engine) -> list[Discrepancy]:
    with Session(engine) as session:
        query = select(Discrepancy).where(Discrepancy.kind == "DENIED_PARTY").order_by(Discrepancy.id)
        return list(session.exec(query))


def send(engine, tmp_path, ref: str, lot: str, counterparty: str, *, day: str = "01") -> None:
    """An admission of strategic goods by OP001 with its customs item, naming ``counterparty``."""
    declaration = f"26AE{ref}"
    item = customs_item(declaration, lot_ref=lot, lodged_at=f"2026-09-{day}T07:00:00", control_code="1C202")
    import_customs(engine, write_csv(tmp_path / f"c{ref}.csv", [item]))
    row = admission(ref, lot=lot, customs_ref=declaration, occurred_at=f"2026-09-{day}T08:00:00",
                    counterparty=counterparty, control_code="1C202")  # fmt: skip
    import_movements(engine, write_csv(tmp_path / f"m{ref}.csv", [row]))


def test_a_listed_party_written_another_way_is_a_critical_finding_with_its_entry(zone_with_operators, tmp_path):
    load_list(tmp_path, ENTRY, OTHER)
    send(zone_with_operators, tmp_path, "M1", "LOT1", "Scientific Studies & Research Centre")
    send(zone_with_operators, tmp_path, "M2", "LOT2", "Sunrise International Trading LLC")
    runs.run(zone_with_operators)
    [finding] = denied(zone_with_operators)
    assert (finding.lot_ref, finding.customs_ref, finding.severity) == ("LOT1", "26AEM1", "CRITICAL")
    evidence = finding.evidence
    assert evidence["party"]["names"] == "Scientific Studies & Research Centre"
    assert evidence["party"]["matched"] == "Scientific Studies and Research Center"
    assert 88 <= evidence["party"]["score"] < 100
    assert evidence["entry"] | {"content_hash": None} == {
        "entry_id": "SY-1", "name": "Scientific Studies and Research Center", "aliases": "SSRC;CERS",
        "kind": "ENTITY", "countries": "SY", "list": "UN SC", "reference": "SYe.001", "listed_on": "2017-05-01",
        "content_hash": None,
    }  # fmt: skip


def test_one_finding_per_name_and_entry_follows_the_latest_record(zone_with_operators, tmp_path):
    load_list(tmp_path, ENTRY)
    send(zone_with_operators, tmp_path, "M1", "LOT1", "Scientific Studies & Research Centre")
    runs.run(zone_with_operators)
    [first] = denied(zone_with_operators)
    send(zone_with_operators, tmp_path, "M2", "LOT2", "SCIENTIFIC STUDIES AND RESEARCH CENTRE", day="05")
    runs.run(zone_with_operators)
    [again] = denied(zone_with_operators)
    assert again.id == first.id and (again.lot_ref, again.customs_ref) == ("LOT2", "26AEM2")
    assert (
        "operator's records M1" in again.evidence["named_in"] and "operator's records M2" in again.evidence["named_in"]
    )


def test_a_new_list_version_screens_every_stored_name_again(zone_with_operators, tmp_path):
    send(zone_with_operators, tmp_path, "M1", "LOT1", "Scientific Studies & Research Centre")
    runs.run(zone_with_operators)
    load_list(tmp_path, OTHER, name="first.csv")
    runs.run(zone_with_operators)
    assert denied(zone_with_operators) == []
    load_list(tmp_path, OTHER, ENTRY, name="second.csv")  # nothing else changed since the last run
    runs.run(zone_with_operators)
    assert [d.lot_ref for d in denied(zone_with_operators)] == ["LOT1"]


@pytest.fixture
def auditor(zone_with_operators) -> Iterator[TestClient]:
    with Session(zone_with_operators) as session:
        accounts.create(session, name="aud", role="AUDITOR", password=PASSWORD, actor="t")
        accounts.create(session, name="op1", role="OPERATOR", password=PASSWORD, operator_code="OP001", actor="t")
        session.commit()
    with TestClient(create_app()) as client:
        client.headers["X-CSRF-Token"] = client.post(
            "/api/v1/session", json={"name": "aud", "password": PASSWORD}
        ).json()["csrf_token"]
        yield client


def test_a_dismissal_holds_until_the_entry_itself_changes(zone_with_operators, auditor, tmp_path):
    load_list(tmp_path, ENTRY, name="v1.csv")
    send(zone_with_operators, tmp_path, "M1", "LOT1", "Scientific Studies & Research Centre")
    runs.run(zone_with_operators)
    [finding] = denied(zone_with_operators)
    reason = "a university of the same name, not the SSRC"
    decided = auditor.post(
        f"/api/v1/discrepancies/{finding.id}/decision", json={"status": "JUSTIFIED", "reason": reason}
    )
    assert decided.status_code == 200, decided.text
    load_list(tmp_path, OTHER, ENTRY, name="v2.csv")  # the entry unchanged, another one added
    send(zone_with_operators, tmp_path, "M2", "LOT2", "Scientific Studies & Research Centre", day="05")
    runs.run(zone_with_operators)
    assert [(d.id, d.status) for d in denied(zone_with_operators)] == [(finding.id, "JUSTIFIED")]
    load_list(tmp_path, ENTRY | {"aliases": "SSRC;CERS;Centre d'Etudes et de Recherches Scientifiques"}, name="v3.csv")
    runs.run(zone_with_operators)
    statuses = [(d.id == finding.id, d.status) for d in denied(zone_with_operators)]
    assert statuses == [(True, "JUSTIFIED"), (False, "OPEN")]


def test_party_matches_are_customs_only(zone_with_operators, auditor, tmp_path):
    load_list(tmp_path, ENTRY)
    send(zone_with_operators, tmp_path, "M1", "LOT1", "Scientific Studies & Research Centre")
    runs.run(zone_with_operators)
    [finding] = denied(zone_with_operators)
    screened = auditor.get("/api/v1/parties/screen", params={"name": "scientific studies & research centre"})
    assert screened.status_code == 200
    body = screened.json()
    assert body["normalised"] == "centre research scientific studies"
    assert [m["entry"]["entry_id"] for m in body["matches"]] == ["SY-1"]
    assert auditor.get(f"/api/v1/discrepancies/{finding.id}").json()["evidence"]["entry"]["reference"] == "SYe.001"
    with TestClient(create_app()) as operator:
        operator.post("/api/v1/session", json={"name": "op1", "password": PASSWORD})
        assert operator.get("/api/v1/parties/screen", params={"name": "SSRC"}).status_code == 403
        assert operator.get(f"/api/v1/discrepancies/{finding.id}").status_code == 404
        listed = operator.get("/api/v1/discrepancies").json()["items"]
        assert all(d["id"] != finding.id for d in listed)
        assert operator.get("/parties").status_code in (403, 404)


def test_a_name_too_long_to_search_is_refused_and_control_characters_are_screened(auditor, tmp_path):
    load_list(tmp_path, ENTRY)
    too_long = auditor.get("/api/v1/parties/screen", params={"name": "A" * 10_000})
    assert too_long.status_code == 422
    odd = auditor.get("/api/v1/parties/screen", params={"name": "\x07SSRC\x1b\t"})
    assert odd.status_code == 200 and [m["entry"]["entry_id"] for m in odd.json()["matches"]] == ["SY-1"]
    nul = auditor.get("/api/v1/parties/screen", params={"name": "SSRC\x00"})
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"]


def test_an_operators_own_name_is_screened_and_stays_one_finding_over_incremental_runs(zone_with_operators, tmp_path):
    runner = CliRunner()
    name = "Scientific Studies & Research Centre FZE"
    added = runner.invoke(app, ["operator", "add", "OP009", "--zone", "ZFX", "--name", name])
    assert added.exit_code == 0, added.output
    load_list(tmp_path, ENTRY)
    rows = [admission("M1", lot="LOT1", customs_ref="26AEX1")]
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", rows), operator="OP009")
    runs.run(zone_with_operators)
    [first] = denied(zone_with_operators)
    assert "operator OP009 (its own name)" in first.evidence["named_in"]
    rows = [admission("M2", lot="LOT2", customs_ref="26AEX2", occurred_at="2026-09-03T08:00:00")]
    import_movements(zone_with_operators, write_csv(tmp_path / "b.csv", rows), operator="OP009")
    runs.run(zone_with_operators)
    [again] = denied(zone_with_operators)
    assert (again.id, again.lot_ref) == (first.id, "LOT2")


def test_a_licences_end_user_is_reported_on_the_latest_removal_citing_it(zone_with_operators, tmp_path):
    licence = {
        "licence_ref": "AE-DU-2026-00009", "holder": "OP001", "issued_at": "2026-07-01", "valid_until": "2027-07-01",
        "control_codes": "1C202", "destination_countries": "DE", "end_user": "S.S.R.C.",
    }  # fmt: skip
    result = CliRunner().invoke(app, ["import", "licences", str(write_csv(tmp_path / "l.csv", [licence]))])
    assert result.exit_code == 0, result.output
    load_list(tmp_path, ENTRY)
    items = [
        customs_item("26AER1", direction="REMOVAL", lodged_at=f"2026-09-{day}T07:00:00", procedure="RE_EXPORT",
                     origin_country="", destination_country="DE", licence_ref="AE-DU-2026-00009", lot_ref=lot,
                     item_no=str(n), quantity="0.1", control_code="1C202")
        for n, (day, lot) in enumerate([("10", "LOT1"), ("12", "LOT2")], start=1)
    ]  # fmt: skip
    assert import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", items)).accepted
    runs.run(zone_with_operators)
    [finding] = denied(zone_with_operators)
    assert (finding.lot_ref, finding.customs_ref) == ("LOT2", "26AER1")
    assert finding.evidence["party"]["licence_ref"] == "AE-DU-2026-00009"
    assert finding.evidence["party"]["fields"] == "end_user"
