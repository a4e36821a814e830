"""The nightly scheduler's job store (APScheduler 3's own layout), declared here, below every
package, so that the migrations build it and the run pages read it without importing the scheduler."""

from sqlalchemy import Column, Float, Index, LargeBinary, Table, Unicode
from sqlmodel import SQLModel

# APScheduler's SQLAlchemyJobStore reads and writes this table; it is created by migration
# 0007 so that the schema comes from the migrations alone. 191 and 25 are APScheduler's sizes.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25)),
    Column("job_state", LargeBinary, nullable=False),
    Index("ix_apscheduler_jobs_next_run_time", "next_run_time"),
)
