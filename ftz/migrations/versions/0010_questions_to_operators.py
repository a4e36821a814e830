"""questions auditors put to operators: an operator sees a finding only once asked about it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ftz.database import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("discrepancy_id", sa.Integer(), sa.ForeignKey("discrepancy.id"), nullable=False, index=True),
        sa.Column("asked_by", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=5000), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("question")
