"""Passwords: long enough, not the account name, not a repetition, not easy to guess; refused
with one line wherever a password is set."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.errors import InvalidInput
from tests.auth.test_cli import ftz

GOOD = "plum tractor quietly sings"
WEAK = {
    "aaaaaaaaaaaa": 'ftz: a password is not one character or group repeated (like "aaaa" or "abcabc")\n',
    " " * 12: 'ftz: a password is not one character or group repeated (like "aaaa" or "abcabc")\n',
    "abcabcabcabc": 'ftz: a password is not one character or group repeated (like "aaaa" or "abcabc")\n',
    "clerk.account.x": "ftz: a password is not the account name, nor the name with a few characters added\n",
    "Clerk.Account.X2024": "ftz: a password is not the account name, nor the name with a few characters added\n",
    "password1234": "ftz: the password is too easy to guess: this is a very common password\n",
    "qwertyuiop12": "ftz: the password is too easy to guess: this is similar to a commonly used password\n",
}


@pytest.mark.parametrize("password", list(WEAK))
def test_ftz_user_add_refuses_a_weak_password_in_one_line(zone_with_operators, password: str):
    result = ftz("user", "add", "clerk.account.x", "--role", "ADMIN", stdin=password + "\n")
    assert result.exit_code == 1
    assert result.stderr == WEAK[password]
    with Session(zone_with_operators) as session:
        assert accounts.get(session, name="clerk.account.x") is None


def test_ftz_user_reset_password_refuses_a_weak_password_and_keeps_the_old_one(zone_with_operators):
    assert ftz("user", "add", "aud", "--role", "AUDITOR", stdin=GOOD + "\n").exit_code == 0
    refused = ftz("user", "reset-password", "aud", stdin="letmein12345\n")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr == "ftz: the password is too easy to guess: this is similar to a commonly used password\n"
    with TestClient(create_app()) as client:
        assert client.post("/api/v1/session", json={"name": "aud", "password": GOOD}).status_code == 200
        assert client.post("/api/v1/session", json={"name": "aud", "password": "letmein12345"}).status_code == 401


def test_a_good_passphrase_is_accepted_and_logs_in(zone_with_operators):
    result = ftz("user", "add", "clerk", "--role", "OPERATOR", "--operator", "OP001", stdin=GOOD + "\n")
    assert result.exit_code == 0, result.stderr
    with TestClient(create_app()) as client:
        assert client.post("/api/v1/session", json={"name": "clerk", "password": GOOD}).status_code == 200


@pytest.mark.parametrize("password", list(WEAK))
def test_the_service_refuses_weak_passwords_on_every_path_that_sets_one(engine, password: str):
    with Session(engine) as session:
        with pytest.raises(InvalidInput) as opened:
            accounts.create(session, name="clerk.account.x", role="ADMIN", password=password, actor="t")
        assert "\n" not in str(opened.value)
        accounts.create(session, name="clerk.account.x", role="ADMIN", password=GOOD, actor="t")
        with pytest.raises(InvalidInput) as reset:
            accounts.reset_password(session, name="clerk.account.x", password=password, actor="t")
        assert str(reset.value) == str(opened.value)
