"""discrepancy kind, status and severity checked by the database; as-of reports kept apart

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ftz.database import UTCDateTime
from ftz.discrepancies.models import CHECKS

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("discrepancy") as batch_op:
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(name, condition)
    op.create_table(
        "report_finding",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("zone_id", sa.Integer(), sa.ForeignKey("zone.id"), nullable=False),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operator.id"), nullable=False),
        sa.Column("lot_ref", sa.String(length=64), nullable=True),
        sa.Column("customs_ref", sa.String(length=64), nullable=True),
        sa.Column("process_ref", sa.String(length=64), nullable=True),
        sa.Column("strategic", sa.Boolean(), nullable=False),
        sa.Column("control_codes", sa.String(length=500), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_finding")
    with op.batch_alter_table("discrepancy") as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(name, type_="check")
