"""risk profiles, selectivity channels and examinations

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ftz.database import Quantity, UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "profile_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
        sa.Column("profiles", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
    )
    op.create_index("ix_profile_version_version", "profile_version", ["version"], unique=True)
    op.create_table(
        "selectivity",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customs_entry_id", sa.Integer(), sa.ForeignKey("customs_entry.id"), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("profiles", sa.JSON(), nullable=False),
        sa.Column("profile_version", sa.Integer(), nullable=True),
        sa.Column("assessed_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_selectivity_entry", "selectivity", ["customs_entry_id"], unique=True)
    op.create_index("ix_selectivity_channel", "selectivity", ["channel"])
    op.create_table(
        "examination",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customs_entry_id", sa.Integer(), sa.ForeignKey("customs_entry.id"), nullable=False),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operator.id"), nullable=False),
        sa.Column("lot_ref", sa.String(length=64), nullable=True),
        sa.Column("declaration_ref", sa.String(length=64), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=False),
        sa.Column("declared_hs_code", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("examined_at", UTCDateTime(), nullable=True),
        sa.Column("quantity", Quantity(), nullable=True),
        sa.Column("unit", sa.String(length=3), nullable=True),
        sa.Column("found_hs_code", sa.String(length=10), nullable=True),
        sa.Column("found_description", sa.String(length=512), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("attachment_sha256", sa.String(length=64), nullable=True),
        sa.Column("attachment_name", sa.String(length=255), nullable=True),
        sa.Column("attachment_type", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("stock_count_id", sa.Integer(), sa.ForeignKey("stock_count.id"), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_examination_operator_lot", "examination", ["operator_id", "lot_ref"])
    op.create_index("ix_examination_entry", "examination", ["customs_entry_id"], unique=True)
    op.create_index("ix_examination_status", "examination", ["status"])


def downgrade() -> None:
    op.drop_table("examination")
    op.drop_table("selectivity")
    op.drop_table("profile_version")
