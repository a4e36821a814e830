"""A ledger that tells when it was touched: the database refuses to change or remove a stored
record, and a record changed behind ftz's back (triggers lifted, as the database's owner can)
is named by `ftz audit verify`."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from ftz.audit import seal
from ftz.auth.scope import SYSTEM
from ftz.cli.main import app
from ftz.ledger import lots
from ftz.ledger.models import CustomsEntry, Movement, StockCount, StockCountCreate
from ftz.models import load_all
from tests.conftest import sqlite_triggers_off
from tests.helpers import admission, customs_item, import_customs, import_movements, removal, write_csv

GUARDED = ("movement", "customs_entry", "stock_count", "upload")


def _ledger(engine, tmp_path) -> dict[str, int]:
    """Movements, customs items, a count and a rejected upload, each stored through ftz; their ids."""
    movements = import_movements(engine, write_csv(tmp_path / "m.csv", [admission("M1"), removal("M2")]))
    customs = import_customs(engine, write_csv(tmp_path / "c.csv", [customs_item()]))
    rejected = import_movements(engine, write_csv(tmp_path / "bad.csv", [admission(quantity="-1")]))
    assert movements.accepted and customs.accepted and not rejected.accepted
    with Session(engine) as session:
        count = StockCountCreate(operator_code="OP001", lot_ref="LOT1", counted_at=datetime(2026, 9, 25, tzinfo=UTC),
                                 quantity="600.5", unit="KGM")  # fmt: skip
        lots.record_count(session, caller=SYSTEM, count_in=count)
        session.commit()
        ids = {
            "upload": movements.upload_id,
            "customs_upload": customs.upload_id,
            "rejected": rejected.upload_id,
            "movement": session.exec(select(Movement.id).where(Movement.movement_ref == "M2")).one(),
            "first_movement": session.exec(select(Movement.id).where(Movement.movement_ref == "M1")).one(),
            "customs_entry": session.exec(select(CustomsEntry.id)).one(),
            "count": session.exec(select(StockCount.id)).one(),
        }
    return ids


def _verify() -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify"])
    return result.exit_code, result.stdout + result.stderr


def behind_ftz(engine, *statements: str) -> None:
    """Statements run past every trigger, as the database's owner (or anyone with its file) could."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            with sqlite_triggers_off(conn):
                for statement in statements:
                    conn.execute(text(statement))
            return
        for table in GUARDED:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        for statement in statements:
            conn.execute(text(statement))
        for table in GUARDED:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def _snapshot(engine) -> list:
    with engine.connect() as conn:
        return [conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all() for table in GUARDED]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE movement SET quantity = quantity * 10",
        "DELETE FROM movement",
        "UPDATE customs_entry SET quantity = quantity * 10",
        "DELETE FROM customs_entry",
        "UPDATE stock_count SET quantity = 0",
        "DELETE FROM stock_count",
        "UPDATE upload SET filename = 'other.csv'",
        "UPDATE upload SET outcome = 'ACCEPTED'",
        "UPDATE upload SET rows_new = rows_new + 1",  # set once, when its rows were stored
        "DELETE FROM upload",
    ],
)
def test_the_database_refuses_to_change_or_remove_a_stored_record(zone_with_operators, tmp_path, sql):
    _ledger(zone_with_operators, tmp_path)
    before = _snapshot(zone_with_operators)
    with pytest.raises(DBAPIError, match="is never changed or removed"), zone_with_operators.begin() as conn:
        conn.execute(text(sql))
    assert _snapshot(zone_with_operators) == before
    assert _verify()[0] == 0


def test_emptying_a_table_of_the_ledger_or_the_trail_at_once_is_refused(zone_with_operators, tmp_path):
    _ledger(zone_with_operators, tmp_path)
    # PostgreSQL's TRUNCATE fires no row trigger and has its own; SQLite's is an unfiltered DELETE
    emptying = "TRUNCATE {} CASCADE" if zone_with_operators.dialect.name == "postgresql" else "DELETE FROM {}"
    for table in (*GUARDED, "audit_event"):
        refused = pytest.raises(DBAPIError, match=r"append-only|never changed or removed|cannot be")
        with refused, zone_with_operators.begin() as conn:
            conn.execute(text(emptying.format(table)))
    assert _verify()[0] == 0


def test_an_intact_ledger_verifies(zone_with_operators, tmp_path):
    _ledger(zone_with_operators, tmp_path)
    code, output = _verify()
    assert (code, output) == (0, "audit trail intact: 8 events\n")


COPY_MOVEMENT = (
    "INSERT INTO movement (id, upload_id, operator_id, row_no, movement_ref, movement_type, occurred_at, lot_ref, "
    "hs_code, quantity, unit, recorded_at) SELECT {id}, {upload}, operator_id, 9, 'M9', movement_type, occurred_at, "
    "lot_ref, hs_code, quantity, unit, recorded_at FROM movement WHERE id = {{movement}}"
)
COPY_UPLOAD = (
    "INSERT INTO upload (id, kind, operator_id, filename, file_format, sha256, size_bytes, sent_by, received_at, "
    "outcome, rows_total, rows_new, rows_unchanged, rows_corrected, error_count, errors, warnings) "
    "SELECT 700, kind, operator_id, 'x.csv', file_format, sha256, size_bytes, sent_by, received_at, outcome, "
    "rows_total, rows_new, rows_unchanged, rows_corrected, error_count, errors, warnings FROM upload "
    "WHERE id = {upload}"
)
# lot_ref and hs_code are neighbours: "LOT1" "811292" becomes "LOT18" "11292", the same characters in a row
SHIFT_A_CHARACTER = (
    "UPDATE movement SET lot_ref = lot_ref || substr(hs_code, 1, 1), hs_code = substr(hs_code, 2) "
    "WHERE id = {first_movement}"
)
TAMPERING = {
    "movement changed": (
        ["UPDATE movement SET quantity = quantity * 10 WHERE id = {movement}"],
        "movement {movement} of upload {upload} was changed after it was recorded",
    ),
    "movement removed": (
        ["DELETE FROM movement WHERE id = {first_movement}"],
        "movement {first_movement} of upload {upload} was removed after it was recorded",
    ),
    "every movement removed": (
        ["DELETE FROM movement"],
        "movement {first_movement} of upload {upload} was removed after it was recorded",
    ),
    "movement added to an upload": (
        [COPY_MOVEMENT.format(id=900, upload="upload_id")],
        "movement 900 was added to upload {upload} after it was recorded",
    ),
    "movement moved to another upload": (
        ["UPDATE movement SET upload_id = {rejected} WHERE id = {movement}"],
        "movement {movement} of upload {upload} was removed after it was recorded",
    ),
    "characters moved from one column to the next": (
        [SHIFT_A_CHARACTER],
        "movement {first_movement} of upload {upload} was changed after it was recorded",
    ),
    "customs entry changed": (
        ["UPDATE customs_entry SET quantity = 1 WHERE id = {customs_entry}"],
        "customs entry {customs_entry} of upload {customs_upload} was changed after it was recorded",
    ),
    "count changed": (
        ["UPDATE stock_count SET quantity = quantity + 1000000 WHERE id = {count}"],
        "count {count} was changed after it was recorded",
    ),
    "count removed": (["DELETE FROM stock_count"], "count {count} was removed after it was recorded"),
    "upload's report changed": (
        ["UPDATE upload SET rows_new = 0 WHERE id = {upload}"],
        "upload {upload} was changed after it was recorded",
    ),
    "rejected upload removed": (
        ["DELETE FROM upload WHERE id = {rejected}"],
        "upload {rejected} was removed after it was recorded",
    ),
    "upload stored with no audit event": (
        [COPY_UPLOAD],
        "upload 700 has no audit event: it was stored behind ftz's back",
    ),
    "movement of an upload never recorded": (
        [COPY_MOVEMENT.format(id=901, upload=999)],
        "movement 901 names upload 999, which ftz never recorded",
    ),
}


@pytest.mark.parametrize("case", TAMPERING)
def test_a_record_changed_behind_ftz_s_back_is_named(zone_with_operators, tmp_path, case):
    ids = _ledger(zone_with_operators, tmp_path)
    statements, named = TAMPERING[case]
    behind_ftz(zone_with_operators, *(s.format(**ids) for s in statements))
    code, output = _verify()
    assert code == 1
    assert output.startswith(f"ftz: ledger changed behind ftz's back: {named.format(**ids)}"), output


def test_a_value_of_a_type_ftz_never_writes_is_named_or_refused(zone_with_operators, tmp_path):
    ids = _ledger(zone_with_operators, tmp_path)
    if zone_with_operators.dialect.name == "postgresql":  # its columns hold only their own type
        with pytest.raises(DBAPIError):
            behind_ftz(zone_with_operators, f"UPDATE movement SET lot_ref = chr(0) WHERE id = {ids['movement']}")
        assert _verify()[0] == 0
        return
    behind_ftz(zone_with_operators, f"UPDATE movement SET lot_ref = X'00' WHERE id = {ids['movement']}")
    code, output = _verify()
    assert code == 1 and f"upload {ids['upload']} or its rows cannot be read back" in output


def test_in_a_large_upload_a_removed_row_is_named_and_a_changed_one_within_its_block(
    zone_with_operators, tmp_path, monkeypatch
):
    monkeypatch.setattr(seal, "MAX_BLOCKS", 2)  # five rows: blocks of three and two
    rows = [admission(f"M{n}", lot=f"L{n}") for n in range(1, 6)]
    upload = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows)).upload_id
    with Session(zone_with_operators) as session:
        ids = list(session.exec(select(Movement.id).order_by(Movement.id)))
    behind_ftz(zone_with_operators, f"UPDATE movement SET lot_ref = 'L9' WHERE id = {ids[1]}")
    expected = f"one of movements {ids[0]} to {ids[2]} of upload {upload} was changed after it was recorded"
    assert expected in _verify()[1]
    behind_ftz(zone_with_operators, f"DELETE FROM movement WHERE id = {ids[4]}")
    behind_ftz(zone_with_operators, f"DELETE FROM movement WHERE id = {ids[1]}")
    assert f"movement {ids[1]} of upload {upload} was removed after it was recorded" in _verify()[1]


def test_the_seal_covers_every_column_of_the_sealed_tables():
    """A column added to one of these tables needs a new seal version in ftz/audit/seal.py (and
    the upload trigger of SQLite its name among those it compares)."""
    load_all()
    for table, columns in seal.COLUMNS[seal.VERSION].items():
        assert [name for name, _ in columns] == [c.name for c in SQLModel.metadata.tables[table].columns], table


SET_ONCE = {"rows_total": "3", "rows_new": "3", "rows_unchanged": "0", "rows_corrected": "0", "warnings": "'[]'"}
CHANGED = {
    "id": "id + 100", "kind": "'CUSTOMS'", "operator_id": "operator_id + 1", "filename": "'y.csv'",
    "file_format": "'json'", "sha256": "'0'", "size_bytes": "size_bytes + 1", "sent_by": "'x'",
    "received_at": {"sqlite": "'2026-01-01 00:00:00.000000'", "postgresql": "received_at + interval '1 second'"},
    "outcome": "'REJECTED'", "error_count": "1", "errors": "'[{\"row\": 1}]'",
}  # fmt: skip


def test_an_upload_s_counts_are_set_once_and_nothing_else_ever(zone_with_operators, tmp_path):
    """What the pipeline does between inserting an upload and storing its rows, and nothing more."""
    engine = zone_with_operators
    assert set(SET_ONCE) | set(CHANGED) == {c.name for c in SQLModel.metadata.tables["upload"].columns}
    ids = _ledger(engine, tmp_path)
    with engine.begin() as conn:  # an upload as ftz inserts it, before its rows are stored
        fresh = "rows_total, rows_new, rows_unchanged, rows_corrected, error_count, errors, warnings FROM"
        conn.execute(text(COPY_UPLOAD.format(**ids).replace(fresh, "0, 0, 0, 0, 0, errors, '[]' FROM")))
    for name, value in CHANGED.items():
        value = value[engine.dialect.name] if isinstance(value, dict) else value
        with pytest.raises(DBAPIError, match="never changed or removed"), engine.begin() as conn:
            conn.execute(text(f"UPDATE upload SET {name} = {value} WHERE id = 700"))
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE upload SET {', '.join(f'{k} = {v}' for k, v in SET_ONCE.items())} WHERE id = 700"))
    with pytest.raises(DBAPIError, match="never changed or removed"), engine.begin() as conn:
        conn.execute(text("UPDATE upload SET rows_new = 2 WHERE id = 700"))


def _transfer(engine, tmp_path):
    """A customs transfer out of ZFX to a registered ZFY and its arrival there; the upload's id."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO zone (code, name, country, timezone, created_at) "
                          "VALUES ('ZFY', 'Y', 'OM', 'Asia/Muscat', CURRENT_TIMESTAMP)"))  # fmt: skip
    out = customs_item("26AE0002", direction="REMOVAL", procedure="TRANSFER", destination_country="OM",
                       destination_zone="ZFY", origin_country="")  # fmt: skip
    rows = [customs_item(), out]
    report = import_customs(engine, write_csv(tmp_path / "transfer.csv", rows))
    assert report.accepted, report.errors
    return report.upload_id


def test_seals_of_version_1_still_verify_after_the_transfer_columns(zone_with_operators, tmp_path):
    upload = _transfer(zone_with_operators, tmp_path)
    with zone_with_operators.connect() as conn:
        older = seal.seal_upload(conn, upload, "CUSTOMS", version=1)
        assert older["v"] == 1 and seal.compare_upload(conn, upload, older) is None
        assert seal.compare_upload(conn, upload, seal.seal_upload(conn, upload, "CUSTOMS")) is None


def test_the_destination_zone_changed_behind_ftz_s_back_is_named(zone_with_operators, tmp_path):
    upload = _transfer(zone_with_operators, tmp_path)
    behind_ftz(zone_with_operators, "UPDATE customs_entry SET destination_zone = 'ZFX' WHERE destination_zone = 'ZFY'")
    code, output = _verify()
    assert code != 0 and f"of upload {upload} was changed after it was recorded" in output
