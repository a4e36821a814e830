"""``/api/v1/licences`` and ``/licences``: the licensing authority sends batches through
customs' channel; customs reads every licence in force of its zones with its usage; an
operator reads the licences it holds, without usage, and nothing of another's."""

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World, login
from tests.licences.test_import import licence
from tests.web.test_pages import logged_in

REGISTER = [
    licence("AE-ALPHA-1", holder="ALPHA1"),
    licence("AE-ALPHA-1", version="2", holder="ALPHA1", status="SUSPENDED"),
    licence("AE-BRAVO-1", holder="BRAVO2", quantity="", unit=""),
    licence("OM-CHARLIE-1", holder="CHARLIE3", control_codes="*"),
]


def token(world: World, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[name]}"}


@pytest.fixture(scope="module")
def register(world: World) -> dict:
    """The register, sent as a JSON array with the customs declaration system's token."""
    with TestClient(world.app) as client:
        sent = client.post("/api/v1/licences", json=REGISTER, headers=token(world, "admin.customs"))
        assert sent.status_code == 201, sent.text
        return sent.json()


def test_the_customs_channel_sends_a_batch(register):
    assert (register["rows"], register["new"], register["unchanged"]) == (4, 4, 0)


@pytest.mark.parametrize("caller", ["op.alpha", "aud.a", "alpha.movements", "alpha.read", "aud.a.read"])
def test_no_one_else_may_send_licences(world, client, caller):
    headers = login(client, caller) if caller in ("op.alpha", "aud.a") else token(world, caller)
    sent = client.post("/api/v1/licences", json=[licence("X-1", holder="ALPHA1")], headers=headers)
    assert sent.status_code == 403


def test_a_rejected_batch_names_every_rows_errors_and_stores_nothing(world, client, register):
    rows = [licence("BAD-1", holder="NOBODY"), licence("BAD-2", holder="ALPHA1", valid_until="2020-01-01", unit="XX")]
    sent = client.post("/api/v1/licences", json=rows, headers=token(world, "admin.customs"))
    assert sent.status_code == 422 and sent.json()["error_count"] == 3
    assert [(e["row"], e["column"]) for e in sent.json()["errors"]] == [
        (1, "holder"), (2, "valid_until"), (2, "unit"),
    ]  # fmt: skip
    listed = client.get("/api/v1/licences", headers=token(world, "aud.a.read")).json()
    assert "BAD-1" not in str(listed) and "BAD-2" not in str(listed)


def test_customs_reads_each_licence_in_force_with_its_versions_and_usage(world, client, register):
    listed = client.get("/api/v1/licences", headers=token(world, "aud.a.read")).json()
    alpha = next(lic for lic in listed if lic["licence_ref"] == "AE-ALPHA-1")
    assert (alpha["version"], alpha["versions"], alpha["status"]) == (2, [1, 2], "SUSPENDED")
    assert alpha["control_codes"] == ["1C202", "ML8.A"] and alpha["destination_countries"] == ["PK", "DE"]
    assert alpha["usage"] == {"used": "0", "remaining": "7511", "exhausted": False, "removals": []}


def test_a_zone_auditor_reads_only_the_licences_of_its_zones_holders(world, client, register):
    zone_a = client.get("/api/v1/licences", headers=token(world, "aud.a.read")).json()
    assert sorted(lic["holder"] for lic in zone_a) == ["ALPHA1", "BRAVO2"]
    assert client.get("/api/v1/licences?holder=CHARLIE3", headers=token(world, "aud.a.read")).status_code == 404


def test_an_operator_reads_its_own_licences_without_usage(world, client, register):
    own = client.get("/api/v1/licences", headers=token(world, "alpha.read"))
    other = client.get("/api/v1/licences", headers=token(world, "bravo.read")).json()
    assert [lic["licence_ref"] for lic in own.json()] == ["AE-ALPHA-1"] and "usage" not in own.text
    assert [lic["licence_ref"] for lic in other] == ["AE-BRAVO-1"]


def test_the_page_shows_customs_the_usage_and_the_operator_its_own(world, register):
    with logged_in("aud.all") as auditor:
        customs = auditor.get("/licences").text
    with logged_in("op.alpha") as operator:
        own = operator.get("/licences").text
    assert "OM-CHARLIE-1" in customs and "Remaining" in customs
    assert "AE-ALPHA-1" in own and "AE-BRAVO-1" not in own and "Remaining" not in own


def test_a_licence_moved_to_another_holder_is_the_new_holders_alone(world, client, register):
    moved = [licence("AE-MOVED-1", holder="ALPHA1"), licence("AE-MOVED-1", version="2", holder="BRAVO2")]
    assert client.post("/api/v1/licences", json=moved, headers=token(world, "admin.customs")).status_code == 201
    former = client.get("/api/v1/licences", headers=token(world, "alpha.read")).json()
    new = client.get("/api/v1/licences", headers=token(world, "bravo.read")).json()
    assert "AE-MOVED-1" not in [lic["licence_ref"] for lic in former]
    assert [(lic["licence_ref"], lic["versions"]) for lic in new if lic["licence_ref"] == "AE-MOVED-1"] == [
        ("AE-MOVED-1", [1, 2])
    ]
