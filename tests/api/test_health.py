"""Probes for an orchestrator or a load balancer."""

from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import text

from ftz.app import create_app
from ftz.migrations import alembic_config


def test_health_and_readiness_need_no_login(engine):
    with TestClient(create_app()) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}


def test_not_ready_while_the_schema_is_behind(engine):
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with TestClient(create_app()) as client:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        try:
            response = client.get("/readyz")
        finally:
            with engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        assert response.status_code == 503
        assert response.json()["detail"].endswith("run `ftz db upgrade`")
        assert client.get("/healthz").status_code == 200
