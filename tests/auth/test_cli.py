"""`ftz user` and `ftz token` as an administrator uses them."""

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ftz.app import create_app
from ftz.cli.main import app

PASSWORD = "correct horse battery staple\n"


def ftz(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin)


def test_an_operator_account_is_bound_to_its_operator(zone_with_operators):
    result = ftz("user", "add", "clerk", "--role", "OPERATOR", "--operator", "op001", stdin=PASSWORD)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "account clerk opened: OPERATOR for operator OP001\n"
    with TestClient(create_app()) as client:
        me = client.post("/api/v1/session", json={"name": "clerk", "password": PASSWORD.strip()})
        assert me.status_code == 200 and me.json()["role"] == "OPERATOR"


def test_the_password_comes_from_standard_input_only(zone_with_operators):
    assert ftz("user", "add", "clerk", "--role", "ADMIN", "--password", "x").exit_code != 0
    result = ftz("user", "add", "clerk", "--role", "ADMIN", stdin="")
    assert result.exit_code == 1
    assert result.stderr == "ftz: give the password on standard input (one line)\n"


def test_short_passwords_and_unbound_operators_are_refused(zone_with_operators):
    short = ftz("user", "add", "clerk", "--role", "ADMIN", stdin="short\n")
    assert short.stderr == "ftz: a password has at least 12 characters\n"
    unbound = ftz("user", "add", "clerk", "--role", "OPERATOR", stdin=PASSWORD)
    assert unbound.stderr == "ftz: an OPERATOR account needs --operator\n"
    unknown = ftz("user", "add", "aud", "--role", "AUDITOR", "--zone", "NOPE", stdin=PASSWORD)
    assert unknown.stderr.startswith("ftz: zone NOPE is not registered")


def test_a_token_is_printed_alone_once_and_works_until_revoked(zone_with_operators):
    ftz("user", "add", "wms", "--role", "OPERATOR", "--operator", "OP001", stdin=PASSWORD)
    created = ftz("token", "create", "--user", "wms", "--scope", "read", "--expires-days", "30")
    assert created.exit_code == 0
    token = created.stdout.strip()
    assert created.stdout == token + "\n" and token.startswith("ftz_")
    assert "not shown again" in created.stderr
    with TestClient(create_app()) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/me", headers=headers).json()["scopes"] == ["read"]
        token_id = created.stderr.split()[1]
        assert ftz("token", "revoke", token_id).stdout == f"token {token_id} revoked\n"
        assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_scope_the_role_cannot_hold_is_refused(zone_with_operators):
    ftz("user", "add", "wms", "--role", "OPERATOR", "--operator", "OP001", stdin=PASSWORD)
    result = ftz("token", "create", "--user", "wms", "--scope", "customs:write")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "ftz: an OPERATOR account cannot hold a customs:write token\n"


def test_disable_and_reset_password(zone_with_operators):
    ftz("user", "add", "aud", "--role", "AUDITOR", stdin=PASSWORD)
    with TestClient(create_app()) as client:
        assert client.post("/api/v1/session", json={"name": "aud", "password": PASSWORD.strip()}).status_code == 200
        reset = ftz("user", "reset-password", "aud", stdin="another long passphrase\n")
        assert reset.stdout == "password of aud changed; its open sessions ended\n"
        assert client.get("/api/v1/me").status_code == 401
        login = client.post("/api/v1/session", json={"name": "aud", "password": "another long passphrase"})
        assert login.status_code == 200
        assert ftz("user", "disable", "aud").exit_code == 0
        assert client.get("/api/v1/me").status_code == 401
        again = client.post("/api/v1/session", json={"name": "aud", "password": "another long passphrase"})
        assert again.status_code == 401
