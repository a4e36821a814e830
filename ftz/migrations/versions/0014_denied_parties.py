"""denied-party lists, their entries and remembered dismissals

A dismissal needs no table of its own: a DENIED_PARTY finding's identity holds the entry's
content hash, so its JUSTIFIED status stays while the entry is unchanged.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "denied_party",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("reference_version.id"), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("aliases", sa.String(length=20000), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("countries", sa.String(length=500), nullable=True),
        sa.Column("list_name", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("listed_on", sa.Date(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
    )
    op.create_index("ix_denied_party_version_entry", "denied_party", ["version_id", "entry_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_denied_party_version_entry", table_name="denied_party")
    op.drop_table("denied_party")
