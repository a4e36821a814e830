"""Login throttling against a running server: failures are counted atomically, per account name
and client, and per client across names; a guessing client locks out itself, not the owner."""

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from ftz.app import create_app
from ftz.audit.models import AuditEvent
from ftz.auth import service as accounts
from ftz.auth.models import LoginAttempt
from tests.helpers import serving

PASSWORD = "correct horse battery staple"
ATTACKER, OWNER = "203.0.113.7", "198.51.100.20"


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    with Session(engine) as session:
        accounts.create(session, name="admin", role="ADMIN", password=PASSWORD, actor="test")
        accounts.create(session, name="clerk", role="ADMIN", password=PASSWORD, actor="test")
        session.commit()
    # uvicorn trusts X-Forwarded-For from the local proxy (here, the test): one address per client
    with serving(create_app()) as url:
        yield url


def log_in(url: str, name: str, password: str, address: str) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=60) as http:
        return http.post("/api/v1/session", json={"name": name, "password": password},
                         headers={"X-Forwarded-For": address})  # fmt: skip


def checked(engine: Engine, name: str) -> int:
    """How many passwords were checked and failed for ``name`` (each one is audited)."""
    with Session(engine) as session:
        query = select(func.count()).where(AuditEvent.action == "login.failed", AuditEvent.subject == f"user:{name}")
        return session.execute(query).scalar_one()


def test_forty_concurrent_wrong_passwords_get_only_the_limit_checked(server: str, engine: Engine):
    start = threading.Barrier(40)
    statuses: list[int] = []

    def guess(n: int) -> None:
        start.wait()
        statuses.append(log_in(server, "admin", f"wrong guess number {n}", ATTACKER).status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(statuses) == {401: 5, 429: 35}
    assert checked(engine, "admin") == 5


def test_the_owner_logs_in_from_another_address_while_the_guesser_is_locked_out(server: str, engine: Engine):
    for n in range(5):
        assert log_in(server, "admin", f"wrong guess {n}", ATTACKER).status_code == 401
    locked = log_in(server, "admin", PASSWORD, ATTACKER)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert locked.json()["detail"].startswith("too many failed logins for admin from this address: try again in")
    assert log_in(server, "admin", PASSWORD, OWNER).status_code == 200


def test_attempts_refused_while_locked_do_not_extend_the_lock(server: str, engine: Engine):
    for n in range(5):
        log_in(server, "admin", f"wrong guess {n}", ATTACKER)
    for n in range(20):
        assert log_in(server, "admin", f"still guessing {n}", ATTACKER).status_code == 429
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(LoginAttempt)).scalar_one() == 5
        # one window later the five failures have aged out, whatever was tried meanwhile
        for attempt in session.execute(select(LoginAttempt)).scalars():
            attempt.at -= timedelta(minutes=16)
        session.commit()
    assert log_in(server, "admin", PASSWORD, ATTACKER).status_code == 200


def test_one_client_is_limited_across_account_names(server: str, engine: Engine):
    for n in range(20):  # one guess at each of twenty names: under every name's own limit
        assert log_in(server, f"user{n}", "wrong guess", ATTACKER).status_code == 401
    refused = log_in(server, "clerk", PASSWORD, ATTACKER)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("too many failed logins from this address: try again in")
    assert checked(engine, "clerk") == 0
    assert log_in(server, "clerk", PASSWORD, OWNER).status_code == 200


def test_an_ipv6_client_is_counted_by_its_64_network(server: str):
    for n in range(5):
        assert log_in(server, "admin", "wrong guess", f"2001:db8:1:2::{n + 1}").status_code == 401
    assert log_in(server, "admin", PASSWORD, "2001:db8:1:2::99").status_code == 429
    assert log_in(server, "admin", PASSWORD, "2001:db8:1:3::1").status_code == 200
