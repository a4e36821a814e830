"""``/api/v1/profiles``: an administrator loads a profile file, all or nothing; customs reads the
profiles in force and backtests a file; operators read none of it."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from ftz.app import create_app
from ftz.auth import service as accounts
from tests.examinations.builders import PASSWORD, PROFILES

YAML = {"Content-Type": "application/yaml"}


def _accounts(engine) -> None:
    with Session(engine) as session:
        for name, role, operator in (("admin", "ADMIN", None), ("aud", "AUDITOR", None), ("op", "OPERATOR", "OP001")):
            accounts.create(session, name=name, role=role, password=PASSWORD, operator_code=operator, actor="t")
        session.commit()


def _login(client: TestClient, name: str) -> dict[str, str]:
    answer = client.post("/api/v1/session", json={"name": name, "password": PASSWORD})
    return {"X-CSRF-Token": answer.json()["csrf_token"]}


def test_an_administrator_loads_a_file_and_customs_reads_the_profiles_in_force(zone_with_operators):
    _accounts(zone_with_operators)
    with TestClient(create_app()) as client:
        loaded = client.post("/api/v1/profiles", content=PROFILES, headers=_login(client, "admin") | YAML)
        read = client.get("/api/v1/profiles", headers=_login(client, "aud"))
    assert loaded.status_code == 201, loaded.text
    assert (read.json()["version"], read.json()["loaded_by"]) == (1, "admin")
    assert [(p["code"], p["channel"], p["open_hits"]) for p in read.json()["profiles"]] == [("RP-VAN-CN", "RED", 0)]


def test_a_bad_file_is_refused_whole_naming_profile_and_field(zone_with_operators):
    _accounts(zone_with_operators)
    bad = PROFILES.replace("channel: RED", "channel: BLUE")
    with TestClient(create_app()) as client:
        refused = client.post("/api/v1/profiles", content=bad, headers=_login(client, "admin") | YAML)
        read = client.get("/api/v1/profiles", headers=_login(client, "aud"))
    assert refused.status_code == 422
    assert "profile RP-VAN-CN, field channel: Input should be 'RED', 'YELLOW' or 'GREEN'" in refused.text
    assert read.status_code == 404


def test_an_auditor_backtests_but_cannot_load_and_an_operator_does_neither(zone_with_operators):
    _accounts(zone_with_operators)
    with TestClient(create_app()) as client:
        tested = client.post("/api/v1/profiles/test", content=PROFILES, headers=_login(client, "aud") | YAML)
        load = client.post("/api/v1/profiles", content=PROFILES, headers=_login(client, "aud") | YAML)
        operator = _login(client, "op")
        denied = [client.post("/api/v1/profiles/test", content=PROFILES, headers=operator | YAML),
                  client.get("/api/v1/profiles", headers=operator)]  # fmt: skip
    assert (tested.status_code, tested.json()["counts"]) == (200, {"RP-VAN-CN": 0})
    assert load.status_code == 403 and [d.status_code for d in denied] == [403, 403]
