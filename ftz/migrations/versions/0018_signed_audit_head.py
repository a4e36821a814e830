"""the audit chain's head is signed: cutting events off the trail's end and moving the head
back is found without the audit key

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ftz.audit import keys

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    last = conn.execute(
        sa.text("SELECT h.seq, h.hash, e.key_id FROM audit_head h JOIN audit_event e ON e.seq = h.seq WHERE h.id = 1")
    ).first()
    # A trail written before this revision: its head is signed now, with its last event's key
    # where this installation holds it (else `ftz audit verify` says the head is not signed).
    if last is not None and last.key_id is not None and last.key_id in keys.keyring():
        signature = keys.head_signature(keys.keyring()[last.key_id], last.seq, last.hash)
        conn.execute(sa.text("UPDATE audit_head SET signature = :s WHERE id = 1"), {"s": signature})


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("signature")
