"""The audit trail: every audited act leaves one chained event; any edit, removal or
truncation is found by `ftz audit verify`, which names the first broken link."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.audit import service as audit
from ftz.audit.models import AuditEvent
from ftz.auth import service as accounts
from ftz.cli.main import app
from tests.conftest import sqlite_triggers_off
from tests.helpers import admission, import_movements, write_csv

PASSWORD = "correct horse battery staple"


def _acts(engine, tmp_path) -> None:
    """A few audited acts, each through its own service."""
    with Session(engine) as session:
        accounts.create(session, name="admin", role="ADMIN", password=PASSWORD, actor="test")
        accounts.create_token(session, user_name="admin", scope="read", expires_days=None, actor="test")
        session.commit()
    import_movements(engine, write_csv(tmp_path / "m.csv", [admission()]))
    import_movements(engine, write_csv(tmp_path / "bad.csv", [admission(quantity="-1")]))


def _verify() -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify"])
    return result.exit_code, result.stdout + result.stderr


def _tamper(engine, sql: str, **params) -> None:
    """What someone with write access to the database could do (past the append-only trigger)."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            with sqlite_triggers_off(conn):
                conn.execute(text(sql), params)
            return
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        conn.execute(text(sql), params)
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))


def test_each_act_leaves_one_event_in_order(zone_with_operators, tmp_path):
    _acts(zone_with_operators, tmp_path)
    with Session(zone_with_operators) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))]
    assert actions[-4:] == ["user.created", "token.created", "upload.accepted", "upload.rejected"]
    assert actions[:2] == ["zone.registered", "operator.registered"]
    assert _verify() == (0, f"audit trail intact: {len(actions)} events\n")


def test_an_edited_event_is_named(zone_with_operators, tmp_path):
    _acts(zone_with_operators, tmp_path)
    with Session(zone_with_operators) as session:
        seq = session.exec(select(AuditEvent.seq).where(AuditEvent.action == "upload.rejected")).one()
    _tamper(zone_with_operators, "UPDATE audit_event SET actor = 'someone else' WHERE seq = :seq", seq=seq)
    code, output = _verify()
    assert code == 1
    reason = f"event {seq} was altered after it was written ({seq - 1} intact before it)"
    assert output == f"ftz: audit trail broken at event {seq}: {reason}\n"


def test_a_removed_event_is_named(zone_with_operators, tmp_path):
    _acts(zone_with_operators, tmp_path)
    _tamper(zone_with_operators, "DELETE FROM audit_event WHERE seq = 3")
    code, output = _verify()
    assert code == 1 and "broken at event 3: event 3 is missing" in output


def test_removing_the_latest_events_is_found_too(zone_with_operators, tmp_path):
    _acts(zone_with_operators, tmp_path)
    with Session(zone_with_operators) as session:
        last = session.exec(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).first()
    _tamper(zone_with_operators, "DELETE FROM audit_event WHERE seq = :seq", seq=last)
    code, output = _verify()
    assert code == 1 and f"events after {last - 1} are missing" in output


def test_cutting_the_latest_events_and_moving_the_head_back_is_found(zone_with_operators, tmp_path):
    """The head is moved by every append, so it is not append-only: its signature needs the key."""
    _acts(zone_with_operators, tmp_path)
    with Session(zone_with_operators) as session:
        last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        kept = session.exec(select(AuditEvent).where(AuditEvent.seq == last.seq - 1)).one()
    _tamper(zone_with_operators, "DELETE FROM audit_event WHERE seq = :seq", seq=last.seq)
    with zone_with_operators.begin() as conn:
        conn.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": kept.seq, "hash": kept.hash})
    code, output = _verify()
    assert code == 1 and f"the chain's head (event {kept.seq}) is not the one ftz signed" in output


def test_a_rewritten_chain_from_the_edit_on_is_still_found(zone_with_operators, tmp_path):
    """Recomputing the edited event's hash does not help: the next event still names the old one."""
    _acts(zone_with_operators, tmp_path)
    with Session(zone_with_operators) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.seq == 2)).one()
        fields = event.model_dump() | {"actor": "someone else"}
    _tamper(zone_with_operators, "UPDATE audit_event SET actor = 'someone else', hash = :h WHERE seq = 2",
            h=audit.link_hash(fields))  # fmt: skip
    code, output = _verify()
    assert code == 1 and "broken at event 3: event 3 does not follow event 2" in output


@pytest.mark.parametrize("sql", ["UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"])
def test_the_database_refuses_to_edit_the_trail(zone_with_operators, sql):
    with pytest.raises(DBAPIError, match="append-only"), zone_with_operators.begin() as conn:
        conn.execute(text(sql))
