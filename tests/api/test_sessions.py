"""Sessions, CSRF and throttling, through a real HTTP client against a running server."""

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import Session, select

from ftz.auth import service as accounts
from ftz.discrepancies.models import DiscrepancyNote
from tests.api.conftest import PASSWORD, World
from tests.helpers import serving


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    with serving(world.app) as url:
        yield url


def form_login(http: httpx.Client, name: str, password: str = PASSWORD, csrf: str | None = None) -> httpx.Response:
    page = http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return http.post("/login", data={"name": name, "password": password, "csrf_token": csrf or token})


def notes(world: World) -> int:
    with Session(world.engine) as session:
        return len(session.exec(select(DiscrepancyNote)).all())


def test_form_login_sets_a_signed_httponly_strict_cookie(server: str):
    with httpx.Client(base_url=server) as http:
        response = form_login(http, "aud.a")
        assert response.status_code == 303 and response.headers["location"] == "/"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("ftz_session=")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
        assert "aud.a" in http.get("/account").text


def test_a_login_form_without_its_csrf_token_is_refused(server: str):
    with httpx.Client(base_url=server) as http:
        response = form_login(http, "aud.a", csrf="forged")
        assert response.status_code == 403
        assert "ftz_session" not in response.headers.get("set-cookie", "")
        assert http.get("/api/v1/me").status_code == 401


def test_a_change_without_the_csrf_header_is_refused_and_stores_nothing(server: str, world: World):
    with httpx.Client(base_url=server) as http:
        csrf = http.post("/api/v1/session", json={"name": "aud.a", "password": PASSWORD}).json()["csrf_token"]
        url = f"/api/v1/discrepancies/{world.discrepancies['ALPHA1']}/comments"
        before = notes(world)
        refused = http.post(url, json={"body": "no token"})
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        assert http.post(url, json={"body": "forged"}, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
        assert notes(world) == before
        assert http.post(url, json={"body": "with token"}, headers={"X-CSRF-Token": csrf}).status_code == 201
        assert notes(world) == before + 1


def test_logout_ends_the_session_even_if_the_cookie_is_sent_again(server: str):
    with httpx.Client(base_url=server) as http:
        form_login(http, "aud.a")
        cookie = http.cookies["ftz_session"]
        csrf = http.get("/api/v1/me").json()["csrf_token"]
        assert http.post("/logout", data={"csrf_token": csrf}).status_code == 303
    with httpx.Client(base_url=server, cookies={"ftz_session": cookie}) as replay:
        assert replay.get("/api/v1/me").status_code == 401


def test_logout_without_its_csrf_token_does_not_log_out(server: str):
    with httpx.Client(base_url=server) as http:
        form_login(http, "aud.a")
        refused = http.post("/logout", data={"csrf_token": "forged"})
        assert refused.status_code == 403 and "log out again" in refused.text and "data-back>Back</a>" in refused.text
        assert http.get("/api/v1/me").status_code == 200


def test_a_tampered_cookie_is_not_a_session(server: str):
    with httpx.Client(base_url=server) as http:
        form_login(http, "aud.a")
        value = http.cookies["ftz_session"]
    with httpx.Client(base_url=server, cookies={"ftz_session": value[:-2] + "xx"}) as forged:
        assert forged.get("/api/v1/me").status_code == 401


def test_disabling_an_account_ends_its_sessions_and_tokens(server: str, world: World):
    with Session(world.engine) as session:
        accounts.create(session, name="temp.auditor", role="AUDITOR", password=PASSWORD, actor="test")
        _, token = accounts.create_token(session, user_name="temp.auditor", scope="read", expires_days=None,
                                         actor="test")  # fmt: skip
        session.commit()
    with httpx.Client(base_url=server) as http:
        form_login(http, "temp.auditor")
        assert http.get("/api/v1/me").status_code == 200
        with Session(world.engine) as session:
            accounts.disable(session, name="temp.auditor", actor="test")
            session.commit()
        assert http.get("/api/v1/me").status_code == 401
        assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert form_login(http, "temp.auditor").status_code == 401


def test_repeated_failures_lock_the_account_name_for_a_while(server: str, world: World):
    with Session(world.engine) as session:
        accounts.create(session, name="target", role="AUDITOR", password=PASSWORD, actor="test")
        session.commit()
    with httpx.Client(base_url=server) as http:
        for _ in range(5):
            assert (
                http.post("/api/v1/session", json={"name": "target", "password": "guess guess guess"}).status_code
                == 401
            )
        locked = http.post("/api/v1/session", json={"name": "target", "password": PASSWORD})
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 0
        assert http.post("/api/v1/session", json={"name": "aud.b", "password": PASSWORD}).status_code == 200


def test_over_https_the_cookie_is_secure(world: World):
    from fastapi.testclient import TestClient

    with TestClient(world.app, base_url="https://testserver") as client:
        response = client.post("/api/v1/session", json={"name": "aud.b", "password": PASSWORD})
        assert "Secure" in response.headers["set-cookie"]
