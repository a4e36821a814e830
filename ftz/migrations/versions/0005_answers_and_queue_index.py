"""operators' answers with attachments; the queue's index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("discrepancy_note", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("attachment_sha256", sa.String(length=64), nullable=True))
    op.create_index("ix_discrepancy_queue", "discrepancy", ["risk_score", "id"])


def downgrade() -> None:
    op.drop_index("ix_discrepancy_queue", table_name="discrepancy")
    with op.batch_alter_table("discrepancy_note", schema=None) as batch_op:
        batch_op.drop_column("attachment_sha256")
        batch_op.drop_column("attachment_name")
