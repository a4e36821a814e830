"""customs items naming a destination zone indexed by date (the overdue transfers an
incremental run looks up)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_customs_entry_transfer_lodged",
        "customs_entry",
        ["lodged_at"],
        postgresql_where=sa.text("destination_zone IS NOT NULL"),
        sqlite_where=sa.text("destination_zone IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_customs_entry_transfer_lodged", table_name="customs_entry")
