"""Appending to the audit trail, reading it, and verifying its hash chain."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlmodel import Session

from ftz.audit.models import AuditEvent, AuditHead
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
    values["hash"] = link_hash(values)
    conn.execute(insert(AuditEvent.__table__).values(**values))
    conn.execute(update(head).where(head.c.id == 1).values(hash=values["hash"]))
    return seq


def link_hash(event: dict[str, Any]) -> str:
    """The hash of an event: its content and the previous event's hash, canonically encoded."""
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
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass
class Verification:
    events: int
    broken_at: int | None = None  # the sequence number of the first broken link
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(session: Session, *, batch: int = 10_000) -> Verification:
    """Walk the chain from the first event; stop at the first link that does not hold."""
    prev, expected_seq, count, last_id = GENESIS, 1, 0, 0
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
            if link_hash(fields) != event.hash:
                return Verification(count, event.seq, f"event {event.seq} was altered after it was written")
            prev, expected_seq, count, last_id = event.hash, expected_seq + 1, count + 1, event.id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != prev):
        return Verification(count, count + 1, f"events after {count} are missing (the chain's head is {head.seq})")
    return Verification(count)


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
