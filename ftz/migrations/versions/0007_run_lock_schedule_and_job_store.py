"""run lock (lease row for SQLite), scheduled runs, run outcomes ABANDONED and TIMED_OUT, job store

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ftz.database import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_ABANDONED = sa.text("outcome <> 'ABANDONED'")


def upgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_by", sa.String(length=200), nullable=False, server_default="system"))
        batch_op.add_column(sa.Column("scheduled_for", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("worker", sa.String(length=300), nullable=True))
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.alter_column("started_by", server_default=None)
        batch_op.create_index(
            "uq_run_scheduled",
            ["zone_code", "scheduled_for"],
            unique=True,
            postgresql_where=NOT_ABANDONED,
            sqlite_where=NOT_ABANDONED,
        )
    lease = op.create_table(
        "run_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=300), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(lease, [{"name": "reconciliation", "holder": None, "expires_at": None}])
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_apscheduler_jobs_next_run_time", table_name="apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
    op.drop_table("run_lease")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index("uq_run_scheduled")
        batch_op.drop_column("worker")
        batch_op.drop_column("scheduled_for")
        batch_op.drop_column("started_by")
