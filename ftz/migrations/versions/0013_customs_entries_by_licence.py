"""customs entries indexed by the licence they cite (licence usage, incremental scope)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_customs_entry_licence_ref",
        "customs_entry",
        ["licence_ref"],
        postgresql_where=sa.text("licence_ref IS NOT NULL"),
        sqlite_where=sa.text("licence_ref IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_customs_entry_licence_ref", table_name="customs_entry")
