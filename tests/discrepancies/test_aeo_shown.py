"""A finding names its operator's AEO certificate, in the API and the exports (contract section 6)."""

from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.cli.main import app
from ftz.discrepancies import service as runs
from tests.helpers import admission, import_movements, write_csv

PASSWORD = "correct horse battery staple"


def _finding_of_an_aeo_operator(engine, tmp_path) -> str:
    """OP001 holds a certificate; its admission no customs item declares is a finding."""
    assert CliRunner().invoke(app, ["operator", "set", "OP001", "--aeo", "AE-AEO-2026-0042"]).exit_code == 0
    import_movements(engine, write_csv(tmp_path / "m.csv", [admission("M1")]))
    runs.run(engine)
    with Session(engine) as session:
        accounts.create(session, name="aud.aeo", role="AUDITOR", password=PASSWORD, actor="test")
        _, token = accounts.create_token(session, user_name="aud.aeo", scope="read", expires_days=None, actor="test")
        session.commit()
    return token


def test_the_api_shows_the_operators_certificate_on_its_findings(zone_with_operators, tmp_path):
    token = _finding_of_an_aeo_operator(zone_with_operators, tmp_path)
    with TestClient(create_app()) as client:
        response = client.get("/api/v1/discrepancies", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [item["aeo"] for item in response.json()["items"]] == ["AE-AEO-2026-0042"]
