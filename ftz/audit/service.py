"""Appending to the audit trail, reading it, and verifying its keyed hash chain and the
ledger rows its events seal."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlmodel import Session

from ftz.audit import keys
from ftz.audit.models import AuditEvent, AuditHead
from ftz.audit.seal import check_ledger
from ftz.config import get_settings
from ftz.database import utcnow

GENESIS = "0" * 64


def record(
    db: Session | Connection,
    *,
    actor: str,
    action: str,
    subject: str = "",
    operator_id: int | None = None,
    zone_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one event in the caller's transaction (it commits or rolls back with the act it
    records); returns its sequence number."""
    conn = db.connection() if isinstance(db, Session) else db
    head = AuditHead.__table__
    # Moving the head first locks it (a row lock on PostgreSQL, the write lock on SQLite), so
    # that concurrent appends chain one after the other.
    conn.execute(update(head).where(head.c.id == 1).values(seq=head.c.seq + 1))
    seq, prev = conn.execute(select(head.c.seq, head.c.hash).where(head.c.id == 1)).one()
    at = utcnow()
    values = {
        "seq": seq,
        "at": at,
        "actor": actor[:200],
        "action": action,
        "subject": subject[:200],
        "operator_id": operator_id,
        "zone_id": zone_id,
        "details": json.loads(json.dumps(details or {}, default=str)),
        "prev_hash": prev,
    }
    values["key_id"], key = keys.current()
    values["hash"] = _hash(values, key)
    conn.execute(insert(AuditEvent.__table__).values(**values))
    signature = keys.head_signature(key, seq, values["hash"])
    conn.execute(update(head).where(head.c.id == 1).values(hash=values["hash"], signature=signature))
    return seq


def link_hash(event: dict[str, Any]) -> str:
    """The hash of an event: its content and the previous event's hash, canonically encoded;
    an HMAC with the key ``key_id`` names, or a plain sha256 for an event written before keys."""
    key_id = event.get("key_id")
    return _hash(event, None if key_id is None else keys.keyring()[key_id])


def _hash(event: dict[str, Any], key: bytes | None) -> str:
    encoded = _encoded(event)
    return hashlib.sha256(encoded).hexdigest() if key is None else keys.sign(key, encoded)


def _encoded(event: dict[str, Any]) -> bytes:
    at: datetime = event["at"]
    payload = {
        "seq": int(event["seq"]),
        "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": event["actor"],
        "action": event["action"],
        "subject": event["subject"],
        "operator_id": event["operator_id"],
        "zone_id": event["zone_id"],
        "details": event["details"],
        "prev_hash": event["prev_hash"],
    }
    if event.get("key_id") is not None:
        # the key's id is signed too: naming another key of the ring breaks the link
        payload["key_id"] = event["key_id"]
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Verification:
    """What `ftz audit verify` found: the events that hold, and the first link or ledger row that does not."""

    events: int
    broken_at: int | None = None  # the sequence number of the first broken link
    reason: str = ""
    # the first ledger row that no longer matches the seal its event recorded
    ledger: str = ""
    ledger_event: int | None = None
    unkeyed: int = 0  # events written before the chain was keyed
    unsealed: int = 0  # uploads and counts recorded before their rows were sealed

    @property
    def intact(self) -> bool:
        return self.broken_at is None and not self.ledger

    @property
    def notes(self) -> str:
        """What an intact trail does not cover, for the line that says it is intact."""
        notes = []
        if self.unkeyed:
            notes.append(f"events 1 to {self.unkeyed} written before the chain was keyed")
        if self.unsealed:
            notes.append(f"{self.unsealed:,} uploads and counts recorded before their rows were sealed")
        return f" ({'; '.join(notes)})" if notes else ""


def verify(session: Session, *, batch: int = 10_000) -> Verification:
    """Walk the chain from the first event and stop at the first link that does not hold;
    then recompute the seal of every ledger row the events recorded."""
    chain = _verify_chain(session, batch)
    if not chain.intact:
        return chain
    ledger = check_ledger(session.connection(), chain.events)
    chain.ledger, chain.ledger_event, chain.unsealed = ledger.difference, ledger.event, ledger.unsealed
    return chain


def _verify_chain(session: Session, batch: int) -> Verification:
    ring = keys.keyring()
    keyed_from = get_settings().audit_keyed_from
    prev, expected_seq, count, last_id, unkeyed = GENESIS, 1, 0, 0, 0
    last_key: str | None = None
    while True:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars()
        rows = list(rows)
        if not rows:
            break
        for event in rows:
            fields = event.model_dump()
            if event.seq != expected_seq:
                return Verification(count, expected_seq, f"event {expected_seq} is missing (found {event.seq} next)")
            if event.prev_hash != prev:
                return Verification(count, event.seq, f"event {event.seq} does not follow event {event.seq - 1}")
            if event.key_id is None:
                # unkeyed events are those of before the key, never after a keyed one
                if unkeyed != count or (keyed_from is not None and event.seq >= keyed_from):
                    return Verification(count, event.seq, f"event {event.seq} is not signed with the audit key")
                unkeyed += 1
            elif event.key_id not in ring:
                reason = f"event {event.seq} is signed with key {event.key_id}, which is not among the audit keys"
                return Verification(count, event.seq, reason)
            if _hash(fields, None if event.key_id is None else ring[event.key_id]) != event.hash:
                return Verification(count, event.seq, f"event {event.seq} was altered after it was written")
            prev, expected_seq, count, last_id = event.hash, expected_seq + 1, count + 1, event.id
            last_key = event.key_id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != prev):
        return Verification(count, count + 1, f"events after {count} are missing (the chain's head is {head.seq})")
    # The head row is moved by every append, so it cannot be append-only: its signature is what
    # tells a head moved back over events cut off the end from the real one.
    signed = head is None or last_key is None or head.signature == keys.head_signature(ring[last_key], count, prev)
    if not signed:
        reason = f"the chain's head (event {count}) is not the one ftz signed: events after it may be missing"
        return Verification(count, count + 1, reason)
    return Verification(count, unkeyed=unkeyed)


def get_all(
    session: Session, *, after: int = 0, limit: int = 100, action: str | None = None, subject: str | None = None
) -> list[AuditEvent]:
    """Events in order, from sequence number ``after`` on (of one action, or one subject)."""
    query = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    if subject:
        query = query.where(AuditEvent.subject == subject)
    return list(session.execute(query).scalars())
