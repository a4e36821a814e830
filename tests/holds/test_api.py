"""``/api/v1/holds`` and the lots it shows on: customs places and releases holds within its
zones; an operator sees the holds on its own lots, since when and whether released, never why
or by whom, and cannot place one."""

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import LOTS, World, login

REASON = "referral from the intelligence unit"  # customs' own: never an operator's to read


def token(world: World, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[name]}"}


@pytest.fixture(scope="module")
def held(world: World) -> dict:
    """A hold on ALPHA1's lot placed by the zone's auditor, released by it later."""
    with TestClient(world.app) as client:
        headers = login(client, "aud.a")
        body = {"operator_code": "ALPHA1", "lot_ref": LOTS["ALPHA1"], "reason": REASON, "starts_at": "2026-09-03"}
        placed = client.post("/api/v1/holds", json=body, headers=headers)
        assert placed.status_code == 201, placed.text
        return placed.json()


def test_an_auditor_places_a_hold_on_a_lot_of_its_zone(held):
    assert (held["operator_code"], held["reason"], held["placed_by"]) == ("ALPHA1", REASON, "aud.a")
    assert held["starts_at"] == "2026-09-02T20:00:00Z" and held["released"] is False


def test_the_operator_sees_its_holds_without_the_reason_or_who_placed_them(world, client, held):
    holds = client.get("/api/v1/holds", headers=token(world, "alpha.read"))
    assert holds.status_code == 200
    assert holds.json() == [{"id": held["id"], "operator_code": "ALPHA1", "lot_ref": LOTS["ALPHA1"],
                             "starts_at": "2026-09-02T20:00:00Z", "released": False, "released_at": None}]  # fmt: skip
    assert REASON not in holds.text and "aud.a" not in holds.text


def test_another_operator_sees_none_of_them(world, client, held):
    holds = client.get("/api/v1/holds", headers=token(world, "bravo.read"))
    assert (holds.status_code, holds.json()) == (200, [])


def test_an_operator_cannot_place_or_release_a_hold(world, client, held):
    headers = login(client, "op.alpha")
    body = {"operator_code": "ALPHA1", "lot_ref": LOTS["ALPHA1"], "reason": "x"}
    assert client.post("/api/v1/holds", json=body, headers=headers).status_code == 403
    assert client.post(f"/api/v1/holds/{held['id']}/release", json={"reason": "x"}, headers=headers).status_code == 403


def test_an_auditor_of_another_zone_neither_sees_nor_places_nor_releases(world, client, held):
    headers = login(client, "aud.b")
    body = {"operator_code": "ALPHA1", "lot_ref": LOTS["ALPHA1"], "reason": "x"}
    assert client.get("/api/v1/holds", headers=headers).json() == []
    assert client.post("/api/v1/holds", json=body, headers=headers).status_code == 404
    assert client.post(f"/api/v1/holds/{held['id']}/release", json={"reason": "x"}, headers=headers).status_code == 404


def test_a_read_token_lists_but_cannot_place(world, client, held):
    headers = token(world, "aud.a.read")
    body = {"operator_code": "ALPHA1", "lot_ref": LOTS["ALPHA1"], "reason": "x"}
    assert [h["reason"] for h in client.get("/api/v1/holds", headers=headers).json()] == [REASON]
    assert client.post("/api/v1/holds", json=body, headers=headers).status_code == 403


@pytest.mark.parametrize(
    "moment", ["next tuesday", "2026-02-30", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00", "2201-01-01"]
)
def test_a_bad_moment_is_a_422_naming_it(world, client, moment):
    headers = login(client, "aud.a")
    body = {"operator_code": "ALPHA1", "lot_ref": LOTS["ALPHA1"], "reason": "x", "starts_at": moment}
    answer = client.post("/api/v1/holds", json=body, headers=headers)
    assert answer.status_code == 422 and moment in answer.json()["detail"]


def test_an_unknown_lot_is_refused_with_its_reason(world, client):
    headers = login(client, "aud.a")
    body = {"operator_code": "ALPHA1", "lot_ref": LOTS["BRAVO2"], "reason": "x"}
    answer = client.post("/api/v1/holds", json=body, headers=headers)
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert detail == f"no lot {LOTS['BRAVO2']} of operator ALPHA1: no movement or customs item names it"


def test_a_release_is_recorded_once_and_the_operator_learns_only_that_it_happened(world, client):
    headers = login(client, "aud.a")
    body = {"operator_code": "BRAVO2", "lot_ref": LOTS["BRAVO2"], "reason": "x", "starts_at": "2026-09-01T10:00"}
    hold = client.post("/api/v1/holds", json=body, headers=headers).json()
    release = {"reason": "examined, as declared", "released_at": "2026-09-04T10:00:00+04:00"}
    released = client.post(f"/api/v1/holds/{hold['id']}/release", json=release, headers=headers)
    again = client.post(f"/api/v1/holds/{hold['id']}/release", json={"reason": "again"}, headers=headers)
    seen = client.get("/api/v1/holds", headers=token(world, "bravo.read")).json()
    assert released.status_code == 200 and released.json()["released_by"] == "aud.a"
    assert again.status_code == 409 and "already released" in again.json()["detail"]
    assert [(h["released"], h["released_at"]) for h in seen] == [(True, "2026-09-04T06:00:00Z")]
    assert "examined" not in str(seen)


def test_the_lot_shows_its_holds_as_each_caller_may_read_them(world, client, held):
    path = f"/api/v1/lots/ALPHA1/{LOTS['ALPHA1']}"
    customs = client.get(path, headers=token(world, "aud.a.read")).json()
    operator = client.get(path, headers=token(world, "alpha.read")).json()
    assert [h["reason"] for h in customs["holds"]] == [REASON]
    assert [h["id"] for h in operator["holds"]] == [held["id"]] and "reason" not in operator["holds"][0]
    assert customs["lot"]["held"] is True
