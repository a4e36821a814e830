"""The authorisation matrix: every route, called as every kind of caller, answers as the
role and scope allow, and no body ever carries another tenant's data."""

import json

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import LOTS, World, login

SESSIONS = ["op.alpha", "aud.a", "aud.b", "admin"]
TOKENS = ["alpha.movements", "alpha.read", "aud.a.read", "admin.customs"]
REFUSED = ["anonymous", "expired", "revoked"]
CALLERS = SESSIONS + TOKENS + REFUSED

# What must never appear in a body answered to a caller (beyond what its own request said):
# another tenant's codes; to an operator, customs' assessment of its findings and who works them.
CONFIDENTIAL = ['"risk_score"', '"severity"', '"risk"', '"assignee"', '"notes"', "internal comment", "internal reason"]
FOREIGN = {
    "op.alpha": ["BRAVO2", "CHARLIE3", "ZONEB", "op.bravo", *CONFIDENTIAL],
    "alpha.movements": ["BRAVO2", "CHARLIE3", "ZONEB", "op.bravo", *CONFIDENTIAL],
    "alpha.read": ["BRAVO2", "CHARLIE3", "ZONEB", "op.bravo", *CONFIDENTIAL],
    "aud.a": ["CHARLIE3", "ZONEB"],
    "aud.a.read": ["CHARLIE3", "ZONEB"],
    "aud.b": ["ALPHA1", "BRAVO2", "ZONEA"],
}

OK = "ok"
READERS = {c: OK for c in ["op.alpha", "alpha.read", "aud.a", "aud.b", "aud.a.read", "admin"]} | {
    "alpha.movements": 403, "admin.customs": 403,
}  # fmt: skip
REVIEWERS = {"aud.a": OK, "aud.b": OK, "aud.a.read": OK, "admin": OK} | {
    c: 403 for c in ["op.alpha", "alpha.movements", "alpha.read", "admin.customs"]
}
INVESTIGATORS = {"aud.a": OK, "aud.b": 404, "admin": OK} | {
    c: 403 for c in ["op.alpha", "alpha.movements", "alpha.read", "aud.a.read", "admin.customs"]
}
EVERYONE = dict.fromkeys(SESSIONS + TOKENS, OK)


def routes(world: World, caller: str) -> list[tuple[str, str, dict | None, dict[str, object]]]:
    """(method, path, JSON body, expected status by caller) for every route of the API."""
    up, d, denied = world.uploads, world.discrepancies, world.denied
    alpha_upload = {"op.alpha": OK, "alpha.movements": OK, "alpha.read": OK, "aud.a": OK, "aud.b": 404,
                    "aud.a.read": OK, "admin": OK, "admin.customs": OK}  # fmt: skip
    movement = [{"movement_ref": f"N-{caller}", "movement_type": "ADMISSION", "occurred_at": "2026-10-01T08:00:00",
                 "lot_ref": f"LOT-NEW-{caller}", "hs_code": "720851", "quantity": "5", "unit": "KGM",
                 "customs_ref": f"DEC-NEW-{caller}", "origin_country": "KR"}]  # fmt: skip
    item = [{"declaration_ref": f"DEC-NEW-{caller}", "item_no": 1, "direction": "ADMISSION",
             "lodged_at": "2026-10-01T07:00:00", "zone_code": "ZONEA", "operator_code": "ALPHA1",
             "lot_ref": f"LOT-NEW-{caller}", "hs_code": "720851", "quantity": "5", "unit": "KGM",
             "origin_country": "KR"}]  # fmt: skip
    # a count of each caller's own moment: the same count twice is refused as recorded already
    count = {"operator_code": "ALPHA1", "lot_ref": LOTS["ALPHA1"], "quantity": "90", "unit": "KGM",
             "counted_at": f"2026-11-01T10:{CALLERS.index(caller):02d}:00"}  # fmt: skip
    return [
        ("GET", "/api/v1/me", None, EVERYONE),
        ("GET", "/api/v1/uploads", None, EVERYONE),
        ("GET", f"/api/v1/uploads/{up['ALPHA1']}", None, alpha_upload),
        ("GET", f"/api/v1/uploads/{up['ALPHA1']}/file", None, alpha_upload),
        ("GET", f"/api/v1/uploads/{up['CHARLIE3']}", None,
         {c: 404 for c in EVERYONE} | {"aud.b": OK, "admin": OK, "admin.customs": OK}),
        ("GET", f"/api/v1/uploads/{up['CUSTOMS']}", None,
         {c: 404 for c in EVERYONE} | {"admin": OK, "admin.customs": OK}),
        ("POST", "/api/v1/uploads/movements", movement,
         {c: 403 for c in EVERYONE} | {"op.alpha": OK, "alpha.movements": OK}),
        ("POST", "/api/v1/uploads/customs", item, {c: 403 for c in EVERYONE} | {"admin": OK, "admin.customs": OK}),
        ("GET", "/api/v1/lots", None, READERS),
        ("GET", f"/api/v1/lots/ALPHA1/{LOTS['ALPHA1']}", None, READERS | {"aud.b": 404}),
        ("GET", f"/api/v1/lots/CHARLIE3/{LOTS['CHARLIE3']}", None,
         READERS | {"op.alpha": 404, "alpha.read": 404, "aud.a": 404, "aud.a.read": 404}),
        ("GET", "/api/v1/discrepancies", None, READERS),
        ("GET", f"/api/v1/discrepancies/{d['ALPHA1']}", None, READERS | {"aud.b": 404}),
        ("GET", f"/api/v1/discrepancies/{d['CHARLIE3']}", None,
         READERS | {"op.alpha": 404, "alpha.read": 404, "aud.a": 404, "aud.a.read": 404}),
        # on the operator's own records, but never asked about: customs' alone
        ("GET", f"/api/v1/discrepancies/{denied}", None, READERS | {"op.alpha": 404, "alpha.read": 404, "aud.b": 404}),
        ("POST", f"/api/v1/discrepancies/{d['ALPHA1']}/questions", {"question": "what became of the 10 kg?"},
         INVESTIGATORS),
        ("POST", f"/api/v1/discrepancies/{d['CHARLIE3']}/questions", {"question": "x"},
         INVESTIGATORS | {"aud.a": 404, "aud.b": OK}),
        ("POST", f"/api/v1/discrepancies/{denied}/questions", {"question": "who is the consignee?"},
         INVESTIGATORS | {"aud.a": 409, "admin": 409}),
        ("POST", f"/api/v1/discrepancies/{d['ALPHA1']}/comments", {"body": f"internal comment by {caller}"},
         INVESTIGATORS),
        ("POST", f"/api/v1/discrepancies/{d['ALPHA1']}/decision", {"status": "UNDER_REVIEW",
                                                                    "reason": "internal reason"}, INVESTIGATORS),
        ("POST", f"/api/v1/discrepancies/{d['CHARLIE3']}/comments", {"body": "x"},
         INVESTIGATORS | {"aud.a": 404, "aud.b": OK}),
        ("POST", f"/api/v1/discrepancies/{d['ALPHA1']}/answers", {"__form__": {"body": "samples sent to the lab"}},
         {c: 403 for c in EVERYONE} | {"op.alpha": OK}),
        ("POST", f"/api/v1/discrepancies/{d['CHARLIE3']}/answers", {"__form__": {"body": "x"}},
         {c: 403 for c in EVERYONE} | {"op.alpha": 404}),
        ("POST", f"/api/v1/discrepancies/{denied}/answers", {"__form__": {"body": "x"}},
         {c: 403 for c in EVERYONE} | {"op.alpha": 404}),
        ("GET", f"/api/v1/discrepancies/{d['ALPHA1']}/notes/1/attachment", None,
         {c: 404 for c in READERS} | {"alpha.movements": 403, "admin.customs": 403}),
        ("POST", "/api/v1/discrepancies/assignments", {"ids": [d["ALPHA1"]], "assignee": "aud.a"}, INVESTIGATORS),
        ("GET", "/api/v1/runs", None, REVIEWERS),
        ("GET", "/api/v1/runs/1", None, REVIEWERS),  # a run of every zone covers each auditor's
        ("GET", "/api/v1/runs/2/report", None, REVIEWERS),  # each auditor reads its zones' rows only
        ("POST", "/api/v1/runs", {"zone_code": "ZONEA"}, INVESTIGATORS),
        ("POST", "/api/v1/counts", count, INVESTIGATORS),
        ("GET", "/api/v1/counts", None, REVIEWERS),
        ("GET", "/api/v1/tokens", None, EVERYONE),
        ("POST", "/api/v1/tokens", {"scope": "read"},
         {c: 403 for c in EVERYONE} | {"op.alpha": OK, "admin": OK}),
        ("DELETE", f"/api/v1/tokens/{world.token_ids['bravo.read']}", None,
         {c: 403 for c in TOKENS} | {"op.alpha": 404, "aud.a": 404, "aud.b": 404, "admin": OK}),
        ("GET", "/api/v1/audit-events", None, {c: 403 for c in EVERYONE} | {"admin": OK}),
    ]  # fmt: skip


def _client_for(world: World, client: TestClient, caller: str) -> dict[str, str]:
    if caller in SESSIONS:
        return login(client, caller)
    if caller == "anonymous":
        return {}
    return {"Authorization": f"Bearer {world.tokens[caller]}"}


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_answers_each_caller_as_its_role_allows(world: World, client: TestClient, caller: str):
    headers = _client_for(world, client, caller)
    wrong = []
    for method, path, body, expected in routes(world, caller):
        form = body.get("__form__") if isinstance(body, dict) else None
        if form is not None:
            response = client.request(method, path, data=form, headers=headers)
        else:
            response = client.request(method, path, json=body, headers=headers)
        want = 401 if caller in REFUSED else expected[caller]
        got_ok = 200 <= response.status_code < 300
        if (want == OK and not got_ok) or (want != OK and response.status_code != want):
            wrong.append(f"{method} {path}: {response.status_code} (expected {want}) {response.text[:200]}")
        asked = path + json.dumps(body or {})
        leaked = [m for m in FOREIGN.get(caller, []) if m in response.text and m not in asked]
        if leaked:
            wrong.append(f"{method} {path}: body shows {leaked}")
    assert not wrong, "\n".join(wrong)


def test_a_refused_caller_is_told_how_to_authenticate(client: TestClient):
    response = client.get("/api/v1/lots")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


def test_expired_and_revoked_tokens_say_which(world: World, client: TestClient):
    expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {world.tokens['expired']}"})
    revoked = client.get("/api/v1/me", headers={"Authorization": f"Bearer {world.tokens['revoked']}"})
    assert expired.json()["detail"] == "the API token has expired"
    assert revoked.json()["detail"] == "the API token was revoked"


def test_an_operator_lists_only_its_own_lots_and_uploads(world: World, client: TestClient):
    headers = {"Authorization": f"Bearer {world.tokens['alpha.read']}"}
    lots = client.get("/api/v1/lots", headers=headers).json()
    uploads = client.get("/api/v1/uploads", headers=headers).json()
    assert {lot["operator_code"] for lot in lots} == {"ALPHA1"}
    assert uploads and {u["operator_code"] for u in uploads} == {"ALPHA1"}


def test_an_operator_sees_only_the_discrepancies_on_its_own_records(world: World, client: TestClient):
    headers = {"Authorization": f"Bearer {world.tokens['alpha.read']}"}
    page = client.get("/api/v1/discrepancies", headers=headers).json()
    assert page["items"] and {d["operator_code"] for d in page["items"]} == {"ALPHA1"}


def test_an_operator_lists_only_the_findings_it_was_asked_about(world: World, client: TestClient):
    headers = {"Authorization": f"Bearer {world.tokens['alpha.read']}"}
    page = client.get("/api/v1/discrepancies", headers=headers).json()
    assert [d["id"] for d in page["items"]] == [world.discrepancies["ALPHA1"]]  # not the denied-party one


def test_a_zone_auditor_lists_only_its_zones_discrepancies(world: World, client: TestClient):
    headers = {"Authorization": f"Bearer {world.tokens['aud.a.read']}"}
    page = client.get("/api/v1/discrepancies", headers=headers).json()
    assert page["items"] and {d["zone_code"] for d in page["items"]} == {"ZONEA"}
