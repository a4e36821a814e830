"""Headers and exposure: a Content-Security-Policy of 'self' everywhere (so /docs is served by
ftz alone), nothing cached behind a login, HSTS over HTTPS, /metrics to this machine or a
token only, and a zone auditor shown only its zones' schedules and auditors."""

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from ftz.auth.models import Role
from ftz.auth.scope import Caller
from ftz.config import get_settings
from ftz.discrepancies import review
from ftz.jobstore import apscheduler_jobs
from tests.api.conftest import World, login
from tests.helpers import serving


@pytest.fixture
def settings_restored() -> Iterator[None]:
    """Settings changed by a test (monkeypatch) are read afresh, then forgotten after it."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_every_response_has_a_content_security_policy_of_self(world: World, client: TestClient):
    login(client, "aud.a")
    for path in ["/login", "/dashboard", "/api/v1/me", "/api/v1/discrepancies", "/healthz", "/nowhere", "/openapi.json",
                 "/static/app.css", "/docs", "/redoc"]:  # fmt: skip
        policy = client.get(path).headers.get("content-security-policy", "")
        assert policy.startswith("default-src 'self';"), path
        # no directive names another host
        assert not re.search(r"https?:|\*", policy), (path, policy)
    anonymous_post = TestClient(world.app).post("/api/v1/discrepancies/1/comments", json={"body": "x"})
    assert anonymous_post.headers["content-security-policy"].startswith("default-src 'self';")


def test_the_api_docs_load_nothing_from_another_host(client: TestClient):
    for path in ["/docs", "/redoc"]:
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert not re.search(r"https?://", page.text), page.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/static/") for a in assets), assets
        for asset in assets:
            assert client.get(asset).status_code == 200, asset
        # the page's one inline script (Swagger UI's set-up) is allowed by its hash, nothing else
        assert "'unsafe-inline'" not in page.headers["content-security-policy"].split("script-src")[1].split(";")[0]


def test_nothing_behind_a_login_is_cached(world: World, client: TestClient):
    login(client, "op.alpha")
    upload = world.uploads["ALPHA1"]
    for path in ["/api/v1/me", "/api/v1/discrepancies", f"/api/v1/uploads/{upload}", f"/api/v1/uploads/{upload}/file",
                 "/uploads", f"/uploads/{upload}/original", "/lots"]:  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path
    token = {"Authorization": f"Bearer {world.tokens['alpha.read']}"}
    assert TestClient(world.app).get("/api/v1/lots", headers=token).headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


def test_hsts_is_sent_over_https_only(world: World):
    with TestClient(world.app, base_url="https://testserver") as https:
        assert https.get("/login").headers["strict-transport-security"].startswith("max-age=")
    with TestClient(world.app) as plain:
        assert "strict-transport-security" not in plain.get("/login").headers


def test_hsts_is_sent_behind_a_proxy_that_terminates_https(world: World):
    with serving(world.app) as url, httpx.Client(base_url=url) as http:
        assert "strict-transport-security" not in http.get("/login").headers
        proxied = http.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.3"})
        assert proxied.headers["strict-transport-security"].startswith("max-age=")


def test_metrics_without_a_token_answer_this_machine_only(world: World, settings_restored, monkeypatch):
    monkeypatch.delenv("FTZ_METRICS_TOKEN", raising=False)
    assert TestClient(world.app, client=("198.51.100.3", 5000)).get("/metrics").status_code == 404
    assert TestClient(world.app).get("/metrics").status_code == 404
    local = TestClient(world.app, client=("127.0.0.1", 5000))
    assert local.get("/metrics").status_code == 200
    # a proxy on this machine forwards others' requests: they are not local
    assert local.get("/metrics", headers={"X-Forwarded-For": "198.51.100.3"}).status_code == 404
    assert TestClient(world.app, client=("::1", 5000)).get("/metrics").status_code == 200


def test_metrics_with_a_token_answer_whoever_sends_it(world: World, settings_restored, monkeypatch):
    monkeypatch.setenv("FTZ_METRICS_TOKEN", "scrape-secret")
    get_settings.cache_clear()
    remote = TestClient(world.app, client=("198.51.100.3", 5000))
    assert remote.get("/metrics").status_code == 401
    assert remote.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).status_code == 200


@pytest.fixture
def schedules(world: World) -> Iterator[None]:
    """A nightly job per zone, as the scheduler stores them."""
    at = time.time() + 3600
    with world.engine.begin() as conn:
        conn.execute(apscheduler_jobs.insert(), [
            {"id": f"nightly:{zone}", "next_run_time": at + n, "job_state": b"-"}
            for n, zone in enumerate(["ZONEA", "ZONEB"])
        ])  # fmt: skip
    yield
    with world.engine.begin() as conn:
        conn.execute(apscheduler_jobs.delete())


def test_a_zone_auditor_sees_only_its_zones_schedules(world: World, client: TestClient, schedules):
    login(client, "aud.a")
    page = client.get("/runs").text
    assert "ZONEA at" in page and "ZONEB" not in page
    with Session(world.engine) as session:
        everyone = Caller(user_id=None, name="admin", role=Role.ADMIN)
        assert [job for job, _ in review.runs_overview(session, caller=everyone)["scheduled"]] == [
            "nightly:ZONEA", "nightly:ZONEB"
        ]  # fmt: skip


def test_a_zone_auditor_sees_only_the_auditors_who_may_work_its_zones(world: World, client: TestClient):
    login(client, "aud.a")
    queue = client.get("/discrepancies").text
    assert "aud.all" in queue and "aud.b" not in queue
    login(client, "admin")
    assert "aud.b" in client.get("/discrepancies").text
