"""Generated requests (schemathesis, from the OpenAPI description) never make the server fail."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from ftz.app import create_app
from tests.api.conftest import PASSWORD, World

# Hypothesis's own default per route and database; FTZ_SCHEMATHESIS_EXAMPLES=1000 for a deeper
# search (250 made this file a fifth of the suite's time).
EXAMPLES = int(os.environ.get("FTZ_SCHEMATHESIS_EXAMPLES", "100"))


@pytest.fixture(scope="module")
def credentials(world: World) -> dict[str, dict[str, str]]:
    """An administrator's session (cookie and CSRF header), and an operator system's token."""
    from fastapi.testclient import TestClient

    with TestClient(world.app) as client:
        response = client.post("/api/v1/session", json={"name": "admin", "password": PASSWORD})
        cookie = response.cookies["ftz_session"]
    return {
        "admin": {"Cookie": f"ftz_session={cookie}", "X-CSRF-Token": response.json()["csrf_token"]},
        "operator": {"Authorization": f"Bearer {world.tokens['alpha.movements']}"},
    }


# The description is the application's own; requests go to the application in process, which
# reads its database from the settings of the test (each backend in turn).
APP = create_app()
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP
schema = schema.exclude(method="DELETE", path="/api/v1/session")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_makes_the_server_fail(case, credentials, world):
    # Operators send movements; the administrator's session reaches every other route.
    caller = "operator" if case.path == "/api/v1/uploads/movements" else "admin"
    response = case.call(headers=credentials[caller])
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
