"""append-only ledger: movements, customs entries, counts and uploads refuse UPDATE, DELETE and
TRUNCATE (an upload's row counts and warnings excepted, set once as its rows are stored); the
audit chain keyed (audit_event.key_id)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEDGER = ("movement", "customs_entry", "stock_count")
MESSAGE = "the ledger is append-only: a stored record is never changed or removed"
UPLOAD_MESSAGE = "an upload is never changed or removed, but for its row counts and warnings, set once when stored"
# What ftz itself sets on an upload after inserting it: the counts and warnings of the rows
# it stored, in the same transaction (ftz/ingest/pipeline.py). Only on an accepted upload
# whose counts are still unset (every accepted file has a row), so only once.
UPLOAD_SET_ONCE = ("rows_total", "rows_new", "rows_unchanged", "rows_corrected", "warnings")
# Every other column of upload, as of this revision (SQLite compares them one by one).
UPLOAD_FIXED = (
    "id", "kind", "operator_id", "filename", "file_format", "sha256", "size_bytes", "sent_by", "received_at",
    "outcome", "error_count", "errors",
)  # fmt: skip

POSTGRESQL = [
    f"""CREATE FUNCTION ftz_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{MESSAGE} (%)', TG_TABLE_NAME; END $$""",
    # Any column but the set-once ones, including columns added later: compared as a whole row.
    f"""CREATE FUNCTION ftz_upload_set_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.outcome = 'ACCEPTED' AND OLD.rows_total = 0
         AND to_jsonb(NEW) - ARRAY{list(UPLOAD_SET_ONCE)} = to_jsonb(OLD) - ARRAY{list(UPLOAD_SET_ONCE)}
      THEN RETURN NEW;
      END IF;
      RAISE EXCEPTION '{UPLOAD_MESSAGE}';
    END $$""",
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ftz_ledger_append_only()"
        for table in LEDGER
    ),
    "CREATE TRIGGER upload_set_once BEFORE UPDATE OR DELETE ON upload "
    "FOR EACH ROW EXECUTE FUNCTION ftz_upload_set_once()",
    # TRUNCATE fires no row trigger: refused on its own, for the ledger and the audit trail.
    *(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ftz_ledger_append_only()"
        for table in (*LEDGER, "upload", "audit_event")
    ),
]

_CHANGED = " OR ".join(f"NEW.{name} IS NOT OLD.{name}" for name in UPLOAD_FIXED)
SQLITE = [
    *(
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE} ({table})'); END"
        for table in LEDGER
        for verb in ("UPDATE", "DELETE")
    ),
    f"CREATE TRIGGER upload_no_delete BEFORE DELETE ON upload BEGIN SELECT RAISE(ABORT, '{UPLOAD_MESSAGE}'); END",
    f"""CREATE TRIGGER upload_set_once BEFORE UPDATE ON upload
    WHEN OLD.outcome <> 'ACCEPTED' OR OLD.rows_total <> 0 OR {_CHANGED}
    BEGIN SELECT RAISE(ABORT, '{UPLOAD_MESSAGE}'); END""",
]


def upgrade() -> None:
    # ALTER TABLE, not batch mode: recreating the table would drop its append-only triggers
    op.add_column("audit_event", sa.Column("key_id", sa.String(length=16), nullable=True))
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*LEDGER, "upload", "audit_event"):
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        for table in LEDGER:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP TRIGGER upload_set_once ON upload")
        op.execute("DROP FUNCTION ftz_upload_set_once()")
        op.execute("DROP FUNCTION ftz_ledger_append_only()")
    else:
        for table in LEDGER:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute("DROP TRIGGER upload_no_delete")
        op.execute("DROP TRIGGER upload_set_once")
    op.drop_column("audit_event", "key_id")
