"""movement ownership checked by triggers (once per statement on PostgreSQL), process index partial

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "a movement must belong to the operator of the upload it came in"
# Names for SQLite's unnamed constraints, so that batch mode can drop the old key.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
PROCESS = sa.text("process_ref IS NOT NULL")

POSTGRESQL = [
    # Inserted rows are checked together, from the statement's transition table.
    f"""CREATE FUNCTION ftz_movement_owner() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM (SELECT DISTINCT upload_id, operator_id FROM new_rows) n
                 WHERE NOT EXISTS (SELECT 1 FROM upload u WHERE u.id = n.upload_id AND u.operator_id = n.operator_id))
      THEN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER movement_owner_insert AFTER INSERT ON movement REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION ftz_movement_owner()",
    "CREATE TRIGGER movement_owner_update AFTER UPDATE ON movement REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION ftz_movement_owner()",
    # An upload with movements keeps its id and operator, and is not deleted.
    f"""CREATE FUNCTION ftz_upload_owned() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (TG_OP = 'DELETE' OR NEW.id <> OLD.id OR NEW.operator_id IS DISTINCT FROM OLD.operator_id)
         AND EXISTS (SELECT 1 FROM movement m WHERE m.upload_id = OLD.id)
      THEN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER upload_owned AFTER UPDATE OF id, operator_id OR DELETE ON upload "
    "FOR EACH ROW EXECUTE FUNCTION ftz_upload_owned()",
]

SQLITE = [
    f"""CREATE TRIGGER movement_owner_insert BEFORE INSERT ON movement
    WHEN NOT EXISTS (SELECT 1 FROM upload u WHERE u.id = NEW.upload_id AND u.operator_id = NEW.operator_id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER movement_owner_update BEFORE UPDATE OF upload_id, operator_id ON movement
    WHEN NOT EXISTS (SELECT 1 FROM upload u WHERE u.id = NEW.upload_id AND u.operator_id = NEW.operator_id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER upload_owned_update BEFORE UPDATE OF id, operator_id ON upload
    WHEN (NEW.id <> OLD.id OR NEW.operator_id IS NOT OLD.operator_id)
      AND EXISTS (SELECT 1 FROM movement m WHERE m.upload_id = OLD.id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER upload_owned_delete BEFORE DELETE ON upload
    WHEN EXISTS (SELECT 1 FROM movement m WHERE m.upload_id = OLD.id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("movement", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(
            "movement_upload_id_operator_id_fkey" if postgresql else "fk_movement_upload_id_upload",
            type_="foreignkey",
        )
        batch_op.drop_index("ix_movement_operator_process")
        batch_op.create_index(
            "ix_movement_operator_process",
            ["operator_id", "process_ref"],
            postgresql_where=PROCESS,
            sqlite_where=PROCESS,
        )
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER upload_owned ON upload")
        op.execute("DROP TRIGGER movement_owner_update ON movement")
        op.execute("DROP TRIGGER movement_owner_insert ON movement")
        op.execute("DROP FUNCTION ftz_upload_owned()")
        op.execute("DROP FUNCTION ftz_movement_owner()")
    else:
        for name in ("upload_owned_delete", "upload_owned_update", "movement_owner_update", "movement_owner_insert"):
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.drop_index("ix_movement_operator_process")
        batch_op.create_index("ix_movement_operator_process", ["operator_id", "process_ref"])
        batch_op.create_foreign_key(None, "upload", ["upload_id", "operator_id"], ["id", "operator_id"])
