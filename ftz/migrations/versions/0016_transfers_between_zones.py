"""transfers between zones: destination_zone and previous_ref

Customs items gain ``destination_zone`` (on a TRANSFER removal, the receiving zone's code) and
``previous_ref`` (on an admission, the declaration the goods left their previous zone under);
operator movements gain ``previous_ref``. Arrivals are looked up by ``previous_ref``: indexed,
for the rows that have one only. Columns are added in place (no table rebuild), so the
append-only triggers of migration 0011 stay as they are.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("movement", sa.Column("previous_ref", sa.String(length=64), nullable=True))
    op.add_column("customs_entry", sa.Column("destination_zone", sa.String(length=32), nullable=True))
    op.add_column("customs_entry", sa.Column("previous_ref", sa.String(length=64), nullable=True))
    for table in ("movement", "customs_entry"):
        op.create_index(
            f"ix_{table}_previous_ref",
            table,
            ["previous_ref"],
            postgresql_where=sa.text("previous_ref IS NOT NULL"),
            sqlite_where=sa.text("previous_ref IS NOT NULL"),
        )


def downgrade() -> None:
    for table in ("movement", "customs_entry"):
        op.drop_index(f"ix_{table}_previous_ref", table_name=table)
    with op.batch_alter_table("customs_entry") as batch:
        batch.drop_column("previous_ref")
        batch.drop_column("destination_zone")
    with op.batch_alter_table("movement") as batch:
        batch.drop_column("previous_ref")
