"""holds on lots, the licence register, operators' AEO certificates, strategic terms; login
attempts indexed by address

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ftz.database import Quantity, UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operator") as batch_op:
        batch_op.add_column(sa.Column("aeo", sa.String(length=64), nullable=True))
    op.create_table(
        "hold",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operator.id"), nullable=False),
        sa.Column("lot_ref", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("placed_by", sa.String(length=200), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.Column("release_reason", sa.String(length=2000), nullable=True),
        sa.Column("release_recorded_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_hold_operator_lot", "hold", ["operator_id", "lot_ref"])
    op.create_table(
        "licence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("licence_ref", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("holder_id", sa.Integer(), sa.ForeignKey("operator.id"), nullable=False),
        sa.Column("issued_at", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("control_codes", sa.String(length=2000), nullable=False),
        sa.Column("destination_countries", sa.String(length=2000), nullable=False),
        sa.Column("end_user", sa.String(length=200), nullable=True),
        sa.Column("quantity", Quantity(), nullable=True),
        sa.Column("unit", sa.String(length=3), nullable=True),
        sa.Column("authority", sa.String(length=200), nullable=True),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_licence_ref_version", "licence", ["licence_ref", "version"], unique=True)
    op.create_index("ix_licence_holder_id", "licence", ["holder_id"])
    op.create_table(
        "strategic_term",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("reference_version.id"), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("control_code", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
    )
    op.create_index("ix_strategic_term_version", "strategic_term", ["version_id"])
    op.create_index("ix_login_attempt_address_at", "login_attempt", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_address_at", table_name="login_attempt")
    op.drop_table("strategic_term")
    op.drop_table("licence")
    op.drop_table("hold")
    with op.batch_alter_table("operator") as batch_op:
        batch_op.drop_column("aeo")
