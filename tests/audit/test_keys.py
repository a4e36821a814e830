"""The audit chain is keyed: an event forged and its chain recomputed without the key (or with
a wrong one) is caught; a trail begun before the key still verifies; old keys verify after a
rotation."""

import json
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.audit import keys
from ftz.audit import service as audit
from ftz.audit.models import AuditEvent
from ftz.cli.main import app
from ftz.config import get_settings
from tests.conftest import sqlite_triggers_off
from tests.helpers import admission, import_movements, write_csv

KEY_A, KEY_B, WRONG = "a" * 64, "b" * 64, "f" * 64
STORE = "UPDATE audit_event SET actor = :actor, details = :details, prev_hash = :prev_hash, hash = :hash, "
STORE += "key_id = :key_id WHERE seq = :seq"


def _acts(engine, tmp_path, name: str = "m") -> None:
    """Two audited uploads: one accepted, one rejected."""
    import_movements(engine, write_csv(tmp_path / f"{name}.csv", [admission()]))
    import_movements(engine, write_csv(tmp_path / f"{name}-bad.csv", [admission(quantity="-1")]))


def _verify() -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify"])
    return result.exit_code, result.stdout + result.stderr


def _use(monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    """These audit key settings, and no other."""
    for name in ("FTZ_AUDIT_KEY", "FTZ_AUDIT_KEYS", "FTZ_AUDIT_KEYED_FROM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(f"FTZ_{name.upper()}", value)
    get_settings.cache_clear()


def _events(engine) -> list[dict]:
    with Session(engine) as session:
        return [e.model_dump() for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))]


@contextmanager
def _past_triggers(conn) -> Iterator[None]:
    if conn.dialect.name == "sqlite":
        with sqlite_triggers_off(conn):
            yield
        return
    conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    yield
    conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


def forge(engine, events: list[dict], sign: Callable[[dict], str]) -> None:
    """Store ``events`` with their links recomputed by ``sign`` from the first one on, as
    someone with write access to the database (past the append-only trigger) would."""
    prev = events[0]["prev_hash"]
    for event in events:
        event["prev_hash"] = prev
        event["hash"] = prev = sign(event)
    with engine.begin() as conn, _past_triggers(conn):
        conn.execute(text(STORE), [e | {"details": json.dumps(e["details"])} for e in events])
        conn.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash"), events[-1])


def unkeyed(event: dict) -> str:
    """A plain sha256 link, as the chain was before it was keyed (or as a forger without the key can)."""
    return audit.link_hash(event | {"key_id": None})


@pytest.fixture
def key_a(settings_env, monkeypatch) -> None:
    """FTZ_AUDIT_KEY set before the zone and its operators are registered."""
    _use(monkeypatch, audit_key=KEY_A)


def test_an_event_forged_and_its_chain_recomputed_without_the_key_is_caught(zone_with_operators, tmp_path):
    _acts(zone_with_operators, tmp_path)
    events = _events(zone_with_operators)
    events[4]["actor"] = "someone else"
    forge(zone_with_operators, events[4:], unkeyed)  # event 5 and all after it, links recomputed
    code, output = _verify()
    assert (code, output) == (1, "ftz: audit trail broken at event 5: event 5 was altered after it was written "
                                 "(4 intact before it)\n")  # fmt: skip


def test_an_event_forged_with_a_wrong_key_is_caught(zone_with_operators, tmp_path, monkeypatch):
    _acts(zone_with_operators, tmp_path)
    events = _events(zone_with_operators)
    events[5]["actor"] = "someone else"
    with monkeypatch.context() as forger:
        forger.setattr(keys, "keyring", lambda: {events[5]["key_id"]: WRONG.encode()})
        forge(zone_with_operators, events[5:], audit.link_hash)
    code, output = _verify()
    assert code == 1 and "broken at event 6: event 6 was altered after it was written" in output


def test_events_rewritten_as_if_written_before_the_key_are_caught(zone_with_operators, tmp_path, monkeypatch):
    _acts(zone_with_operators, tmp_path)
    events = _events(zone_with_operators)
    for event in events[4:]:
        event["actor"], event["key_id"] = "someone else", None
    forge(zone_with_operators, events[4:], unkeyed)
    code, output = _verify()
    assert code == 1 and "broken at event 5: event 5 is not signed with the audit key" in output

    # A whole trail rewritten unkeyed looks like one written before the key: pinning where the
    # keyed chain starts (FTZ_AUDIT_KEYED_FROM) catches that too.
    for event in events:
        event["key_id"] = None
    forge(zone_with_operators, events, unkeyed)
    assert _verify() == (0, "audit trail intact: 6 events (events 1 to 6 written before the chain was keyed)\n")
    _use(monkeypatch, audit_keyed_from="1")
    assert "broken at event 1: event 1 is not signed with the audit key" in _verify()[1]


def test_a_trail_begun_before_the_key_still_verifies_and_says_what_it_covers(zone_with_operators, tmp_path):
    """An upgraded database: its first events are plain sha256 links, its uploads of then unsealed."""
    _acts(zone_with_operators, tmp_path)
    events = _events(zone_with_operators)
    for event in events:
        event["key_id"] = None
        event["details"].pop("stored", None)  # what ftz wrote before seals
    forge(zone_with_operators, events, unkeyed)
    _acts(zone_with_operators, tmp_path, "later")  # keyed and sealed from here on
    assert _verify() == (
        0,
        "audit trail intact: 8 events (events 1 to 6 written before the chain was keyed; "
        "2 uploads and counts recorded before their rows were sealed)\n",
    )


def test_after_a_rotation_the_old_key_still_verifies_the_events_it_signed(key_a, zone_with_operators, tmp_path,
                                                                         monkeypatch):  # fmt: skip
    _acts(zone_with_operators, tmp_path)
    _use(monkeypatch, audit_key=KEY_B, audit_keys=json.dumps([KEY_A]))
    _acts(zone_with_operators, tmp_path, "later")
    assert {e["key_id"] for e in _events(zone_with_operators)} == {keys._entry(KEY_A)[0], keys._entry(KEY_B)[0]}
    assert _verify() == (0, "audit trail intact: 8 events\n")
    _use(monkeypatch, audit_key=KEY_B)
    code, output = _verify()
    assert code == 1
    assert f"event 1 is signed with key {keys._entry(KEY_A)[0]}, which is not among the audit keys" in output


def test_the_kept_key_is_made_once_readable_by_its_owner_alone(settings_env, monkeypatch):
    _use(monkeypatch)
    key_id, key = keys.current()
    path = settings_env / "data" / "audit_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(key) == 64
    keys._kept_key.cache_clear()
    assert keys.current() == (key_id, key)
    assert list(path.parent.iterdir()) == [path]  # no draft left behind
    _use(monkeypatch, audit_key=KEY_A)
    assert keys.current()[1] == KEY_A.encode()
    _use(monkeypatch, audit_key="too short")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        get_settings()
