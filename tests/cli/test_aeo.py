"""Operators' AEO certificates: recorded and removed from the command line, audited, shown as
``aeo`` by the API and in the exports of findings."""

import csv
import io

from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.app import create_app
from ftz.audit.models import AuditEvent
from ftz.auth import service as accounts
from ftz.cli.main import app
from ftz.discrepancies import service as runs
from tests.helpers import admission, customs_item, import_customs, import_movements, write_csv

runner = CliRunner()


def ftz(*args: str):
    return runner.invoke(app, list(args))


def _lot_aeo(engine) -> str | None:
    """The ``aeo`` the API shows beside OP101's lot, to an auditor's read token."""
    with Session(engine) as session:
        accounts.create(session, name="aud", role="AUDITOR", password="correct horse battery staple", actor="t")
        _, token = accounts.create_token(session, user_name="aud", scope="read", expires_days=None, actor="t")
        session.commit()
    with TestClient(create_app()) as client:
        lots = client.get("/api/v1/lots", headers={"Authorization": f"Bearer {token}"}).json()
    return lots[0]["aeo"]


def _registered(engine, tmp_path, *aeo: str) -> None:
    ftz("zone", "add", "ZDM", "--name", "Demo", "--country", "AE")
    assert ftz("operator", "add", "OP101", "--zone", "ZDM", "--name", "Gulf Metals", *aeo).exit_code == 0
    import_movements(engine, write_csv(tmp_path / "m.csv", [admission()]), operator="OP101")


def test_an_aeo_given_at_registration_is_shown_by_the_api(engine, tmp_path):
    _registered(engine, tmp_path, "--aeo", "AE-AEO-2025-0117")
    assert _lot_aeo(engine) == "AE-AEO-2025-0117"


def test_an_aeo_removed_shows_as_null(engine, tmp_path):
    _registered(engine, tmp_path, "--aeo", "AE-AEO-2025-0117")
    result = ftz("operator", "set", "OP101", "--no-aeo")
    assert (result.exit_code, result.stdout) == (0, "operator OP101: no AEO certificate\n")
    assert _lot_aeo(engine) is None


def test_an_aeo_set_later_is_shown_and_audited(engine, tmp_path):
    _registered(engine, tmp_path)
    assert ftz("operator", "set", "op101", "--aeo", "OM-AEO-2024-0031").stdout == (
        "operator OP101: AEO certificate OM-AEO-2024-0031\n"
    )
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "operator.aeo_changed")).one()
    assert event.details == {"from": None, "to": "OM-AEO-2024-0031"} and event.actor.startswith("cli")
    assert _lot_aeo(engine) == "OM-AEO-2024-0031"


def test_set_takes_a_certificate_or_no_aeo_never_both_or_neither(engine, tmp_path):
    _registered(engine, tmp_path)
    neither = ftz("operator", "set", "OP101")
    both = ftz("operator", "set", "OP101", "--aeo", "X-1", "--no-aeo")
    blank = ftz("operator", "set", "OP101", "--aeo", "  ")
    assert neither.stderr == both.stderr == "ftz: give either --aeo CERT_REF or --no-aeo\n"
    assert blank.exit_code == 1 and blank.stderr.startswith("ftz: an AEO certificate reference cannot be empty")


def test_a_certificate_too_long_is_a_one_line_error(engine):
    ftz("zone", "add", "ZDM", "--name", "Demo", "--country", "AE")
    result = ftz("operator", "add", "OP101", "--zone", "ZDM", "--name", "x", "--aeo", "A" * 65)
    assert (result.exit_code, result.stderr) == (1, "ftz: aeo: String should have at most 64 characters\n")


def test_the_export_of_findings_carries_the_operators_aeo(zone_with_operators, tmp_path):
    ftz("operator", "set", "OP001", "--aeo", "AE-AEO-2025-0117")
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [customs_item(quantity="100", unit="KGM")]))
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", [admission(quantity="90")]))
    runs.run(zone_with_operators)
    header, row = csv.reader(io.StringIO(ftz("discrepancies", "export").stdout))
    assert header[header.index("last_seen_run") + 1] == "aeo"  # the contract's fields first, then aeo
    assert row[header.index("aeo")] == "AE-AEO-2025-0117"
