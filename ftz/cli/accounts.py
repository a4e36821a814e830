"""``ftz user``, ``ftz token`` and ``ftz audit``: accounts, tokens and the audit trail."""

import sys
from typing import Annotated

import typer

from ftz.audit import service as audit
from ftz.auth import service as accounts
from ftz.cli.common import command, fail, out, sender
from ftz.database import session_scope

user_app = typer.Typer(help="Accounts: operators' staff and systems, customs auditors, administrators.")
token_app = typer.Typer(help="API tokens for systems.")
audit_app = typer.Typer(help="The tamper-evident audit trail.")


def _password() -> str:
    """One line from standard input: never an argument, which other users could read."""
    line = sys.stdin.readline()
    if not line:
        fail("give the password on standard input (one line)")
    return line.rstrip("\r\n")


@user_app.command("add")
@command
def user_add(
    name: str,
    role: Annotated[str, typer.Option(help="OPERATOR, AUDITOR or ADMIN.")],
    operator: Annotated[str, typer.Option(help="The operator an OPERATOR account acts for.")] = "",
    zone: Annotated[list[str] | None, typer.Option(help="A zone an AUDITOR may see (repeatable; none: all).")] = None,
) -> None:
    """Open an account; its password is read from standard input."""
    password = _password()
    with session_scope() as session:
        user = accounts.create(
            session, name=name, role=role, password=password, operator_code=operator or None, zone_codes=zone or [],
            actor=sender(),
        )  # fmt: skip
        scope = f" for operator {operator.upper()}" if operator else (f" in {', '.join(zone)}" if zone else "")
        out(f"account {user.name} opened: {user.role}{scope}")


@user_app.command("disable")
@command
def user_disable(name: str) -> None:
    """End an account's access: its sessions and tokens stop working."""
    with session_scope() as session:
        accounts.disable(session, name=name, actor=sender())
    out(f"account {name} disabled; its sessions and tokens no longer work")


@user_app.command("reset-password")
@command
def user_reset_password(name: str) -> None:
    """Set a new password, read from standard input; open sessions end."""
    password = _password()
    with session_scope() as session:
        accounts.reset_password(session, name=name, password=password, actor=sender())
    out(f"password of {name} changed; its open sessions ended")


@token_app.command("create")
@command
def token_create(
    user: Annotated[str, typer.Option(help="The account the token acts as.")],
    scope: Annotated[str, typer.Option(help="movements:write, customs:write or read.")],
    expires_days: Annotated[int | None, typer.Option(help="Days until it expires (default: never).")] = None,
) -> None:
    """Print a new API token, once, alone on standard output."""
    with session_scope() as session:
        record, token = accounts.create_token(
            session, user_name=user, scope=scope, expires_days=expires_days, actor=sender()
        )
    out(token)
    out(f"token {record.id} for {user} ({scope}); it is not shown again", err=True)


@token_app.command("revoke")
@command
def token_revoke(token_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Revoke a token: it stops working at once."""
    with session_scope() as session:
        accounts.revoke_token(session, token_id=token_id, actor=sender())
    out(f"token {token_id} revoked")


@audit_app.command("verify")
@command
def audit_verify() -> None:
    """Walk the audit trail's keyed hash chain and recompute the ledger rows its events sealed;
    exit non-zero naming the first broken link or the first row that differs."""
    with session_scope() as session:
        result = audit.verify(session)
    if result.broken_at is not None:
        fail(f"audit trail broken at event {result.broken_at}: {result.reason} ({result.events:,} intact before it)")
    if result.ledger:
        sealed = f" (sealed by event {result.ledger_event})" if result.ledger_event else ""
        fail(f"ledger changed behind ftz's back: {result.ledger}{sealed}")
    out(f"audit trail intact: {result.events:,} events{result.notes}")
