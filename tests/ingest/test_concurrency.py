"""Imports are checked without the write lock: one stored meanwhile is checked against again."""

import pytest

from ftz.ingest import pipeline
from ftz.ledger.models import Movement
from tests.helpers import admission, count, import_movements, messages, write_csv


def test_an_import_stored_between_the_checks_and_the_write_is_checked_against(
    zone_with_operators, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    engine = zone_with_operators
    first = write_csv(tmp_path / "first.csv", [admission("M1", quantity="100")])
    second = write_csv(tmp_path / "second.csv", [admission("M1", quantity="999")])
    store = pipeline._store

    def another_import_first(conn, importer, upload, report, mark):
        if upload["filename"] == "second.csv":
            assert import_movements(engine, first).accepted  # lands after second.csv was checked
        return store(conn, importer, upload, report, mark)

    monkeypatch.setattr(pipeline, "_store", another_import_first)
    report = import_movements(engine, second)
    assert not report.accepted
    assert messages(report) == [
        'row 2, movement_ref: "M1" is already recorded with other content; to change it, send the row with corrects_ref'
    ]
    assert count(engine, Movement) == 1
