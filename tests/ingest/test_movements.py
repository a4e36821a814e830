"""Importing an operator's movements: what is stored, what is refused, and why."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from ftz.config import get_settings
from ftz.ingest.models import Upload
from ftz.ledger.models import Movement
from tests.helpers import admission, import_movements, messages, removal, stored, write_csv


def test_a_valid_file_is_stored_with_exact_quantities_and_utc_times(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission(quantity="1000.123456"), removal()])
    report = import_movements(zone_with_operators, path)
    assert report.accepted and report.rows_new == 2
    with Session(zone_with_operators) as session:
        first = session.exec(select(Movement).where(Movement.movement_ref == "M1")).one()
    assert first.quantity == Decimal("1000.123456")
    # 08:00 without offset is local time in the zone (Asia/Dubai, UTC+4).
    assert first.occurred_at == datetime(2026, 9, 1, 4, 0, tzinfo=UTC)
    assert first.hs_code == "811292"


def test_explicit_offsets_and_plain_dates_are_read_as_iso_8601(zone_with_operators, tmp_path):
    rows = [
        admission("M1", occurred_at="2026-09-01T08:00:00Z"),
        admission("M2", lot="LOT2", occurred_at="2026-09-01T08:00:00+02:00"),
        admission("M3", lot="LOT3", occurred_at="2026-09-02"),
    ]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    with Session(zone_with_operators) as session:
        times = {m.movement_ref: m.occurred_at for m in session.exec(select(Movement))}
    assert times["M1"] == datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    assert times["M2"] == datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
    assert times["M3"] == datetime(2026, 9, 1, 20, 0, tzinfo=UTC)  # local midnight in Dubai


def test_a_movement_dated_ahead_of_today_is_kept_with_a_warning(zone_with_operators, tmp_path):
    # the contract bounds no date: a zone's records dated ahead are stored, and the date queried
    rows = [admission(), removal(occurred_at="2099-03-01T08:00:00")]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    assert report.accepted and report.rows_new == 2
    assert [(w.row, w.column) for w in report.warnings] == [(3, "occurred_at")]
    assert '"2099-03-01T04:00:00Z" lies in the future' in report.warnings[0].message


def test_a_movement_dated_before_1970_is_refused(zone_with_operators, tmp_path):
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", [admission(occurred_at="1969-12-31")]))
    assert messages(report) == ['row 2, occurred_at: "1969-12-31" lies before 1970']


def test_sets_and_pieces_under_their_older_code_are_units_of_their_own_dimension(zone_with_operators, tmp_path):
    rows = [admission(unit="SET", quantity="4"), admission("M3", lot="LOT2", unit="PCE", quantity="12"),
            removal(lot="LOT2", unit="H87", quantity="12")]  # fmt: skip
    assert import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows)).accepted
    refused = import_movements(zone_with_operators, write_csv(tmp_path / "n.csv", [removal("M9", unit="NAR")]))
    assert messages(refused) == [
        "row 2, unit: NAR (count) cannot be converted to SET (set), the unit lot LOT1 is booked in"
    ]


def test_every_error_of_every_row_is_reported_with_row_and_column(zone_with_operators, tmp_path):
    rows = [
        admission("M1", quantity="seventy"),
        admission("M2", occurred_at="yesterday", hs_code="12", origin_country="XX"),
        removal("M3", customs_ref="", unit="KGS"),
    ]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    assert not report.accepted
    assert messages(report) == [
        'row 2, quantity: "seventy" is not a number',
        'row 3, occurred_at: "yesterday" is not an ISO 8601 date or date-time',
        'row 3, hs_code: "12" is not an HS code of 6 to 10 digits',
        'row 3, origin_country: "XX" is not an ISO 3166-1 alpha-2 country code',
        'row 4, unit: "KGS" is not a UN/ECE Rec 20 unit code ftz converts (KGM, GRM, MGM, TNE, DTN, LBR, ONZ, KTN, …)',
        "row 4, customs_ref: missing (required for REMOVAL)",
    ]


def test_a_file_with_one_bad_row_stores_nothing_but_its_rejected_upload(zone_with_operators, tmp_path):
    rows = [admission("M1"), admission("M2", lot="LOT2"), admission("M3", lot="LOT3", quantity="-1")]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    assert messages(report) == ["row 4, quantity: must be greater than 0 for ADMISSION"]
    assert stored(zone_with_operators) == (0, 0)
    with Session(zone_with_operators) as session:
        upload = session.exec(select(Upload)).one()
    assert upload.outcome == "REJECTED" and upload.error_count == 1
    assert upload.errors[0] == {"row": 4, "column": "quantity", "message": "must be greater than 0 for ADMISSION"}


def test_resending_an_identical_file_changes_nothing_and_says_so(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission(), removal()])
    import_movements(zone_with_operators, path)
    again = import_movements(zone_with_operators, path)
    assert again.accepted and again.rows_new == 0 and again.rows_unchanged == 2
    assert "nothing changed" in again.summary()
    assert stored(zone_with_operators) == (2, 0)


def test_the_same_ref_with_other_content_is_refused(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission()]))
    report = import_movements(zone_with_operators, write_csv(tmp_path / "b.csv", [admission(quantity="999")]))
    assert messages(report) == [
        'row 2, movement_ref: "M1" is already recorded with other content; to change it, send the row with corrects_ref'
    ]
    assert stored(zone_with_operators) == (1, 0)


def test_a_correction_is_appended_and_the_corrected_row_is_kept(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission(quantity="10000")]))
    fix = admission("M1b", quantity="1000", corrects_ref="M1")
    report = import_movements(zone_with_operators, write_csv(tmp_path / "b.csv", [fix]))
    assert report.accepted and report.rows_corrected == 1
    with Session(zone_with_operators) as session:
        quantities = {m.movement_ref: m.quantity for m in session.exec(select(Movement))}
    assert quantities == {"M1": Decimal(10000), "M1b": Decimal(1000)}


def test_a_correction_may_reuse_the_ref_it_corrects(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission(quantity="10000")]))
    fix = admission("M1", quantity="1000", corrects_ref="M1")
    assert import_movements(zone_with_operators, write_csv(tmp_path / "b.csv", [fix])).accepted
    assert stored(zone_with_operators) == (2, 0)


def test_a_correction_of_an_unknown_movement_is_refused(zone_with_operators, tmp_path):
    report = import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission(corrects_ref="M0")]))
    assert messages(report) == ['row 2, corrects_ref: "M0" is not a recorded movement']


def test_a_ref_twice_in_one_file_is_refused(zone_with_operators, tmp_path):
    report = import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission(), admission()]))
    assert messages(report) == ['row 3, movement_ref: "M1" is also on row 2']


def test_required_columns_depend_on_the_movement_type(zone_with_operators, tmp_path):
    rows = [
        admission(origin_country=""),
        {**removal(), "destination_country": ""},
        admission("M3", movement_type="CONSUME", customs_ref="", origin_country=""),
        admission("M4", movement_type="ADJUST", quantity="-5", customs_ref=""),
        admission("M5", value="100"),
    ]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", rows))
    assert messages(report) == [
        "row 2, origin_country: missing (required for ADMISSION)",
        "row 3, destination_country: missing (required for REMOVAL)",
        "row 4, process_ref: missing (required for CONSUME)",
        "row 5, note: missing (required for ADJUST)",
        "row 6, currency: missing (required with value)",
    ]


def test_quantity_signs_follow_the_movement_type(zone_with_operators, tmp_path):
    rows = [
        admission("A1", movement_type="ADJUST", quantity="-5", note="breakage found at count"),
        admission("C1", movement_type="COUNT", quantity="0"),
        admission("A2", movement_type="ADJUST", quantity="0", note="nothing"),
        admission("C2", movement_type="COUNT", quantity="-1"),
    ]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", rows))
    assert messages(report) == [
        "row 4, quantity: an adjustment cannot be 0",
        "row 5, quantity: a count cannot be negative",
    ]


def test_units_of_another_dimension_than_the_lot_are_refused(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission()]))
    rows = [removal("M2", unit="TNE", quantity="0.4"), removal("M3", unit="NAR", quantity="4")]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "b.csv", rows))
    assert messages(report) == [
        "row 3, unit: NAR (count) cannot be converted to KGM (mass), the unit lot LOT1 is booked in"
    ]


def test_columns_are_matched_case_insensitively_in_any_order(zone_with_operators, tmp_path):
    row = {key.upper(): value for key, value in reversed(admission().items())}
    assert import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [row])).accepted


def test_unknown_and_missing_columns_are_named(zone_with_operators, tmp_path):
    row = {k: v for k, v in admission(colour="red").items() if k != "quantity"}
    report = import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [row]))
    assert messages(report)[0].startswith("row 1, colour: unknown column (the columns are: movement_ref,")
    assert messages(report)[1:] == ["row 1, quantity: required column is missing"]


def test_the_operator_comes_from_the_sender_not_the_file(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "a.csv", [admission(operator_code="OP002")])
    report = import_movements(zone_with_operators, path)
    assert messages(report)[0].startswith("row 1, operator_code: unknown column")


def test_each_operator_keeps_its_own_refs(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "a.csv", [admission()])
    assert import_movements(zone_with_operators, path, "OP001").rows_new == 1
    assert import_movements(zone_with_operators, path, "OP002").rows_new == 1
    with Session(zone_with_operators) as session:
        owners = sorted(m.operator_id for m in session.exec(select(Movement)))
    assert len(set(owners)) == 2


def test_the_database_keeps_each_movement_with_its_upload_s_operator(zone_with_operators, tmp_path):
    engine = zone_with_operators
    assert import_movements(engine, write_csv(tmp_path / "m.csv", [admission()])).accepted
    copy = (
        "INSERT INTO movement (upload_id, operator_id, row_no, movement_ref, movement_type, occurred_at, lot_ref, "
        "hs_code, quantity, unit, recorded_at) SELECT upload_id, {operator}, 9, 'M9', movement_type, occurred_at, "
        "lot_ref, hs_code, quantity, unit, recorded_at FROM movement"
    )
    with engine.begin() as conn:  # the upload's own operator: accepted
        conn.execute(text(copy.format(operator="operator_id")))
    another = "(SELECT id FROM operator WHERE code = 'OP002')"
    for statement in (
        copy.format(operator=another),
        f"UPDATE movement SET operator_id = {another}",
        f"UPDATE upload SET operator_id = {another}",
        "DELETE FROM upload",
    ):
        # an UPDATE or DELETE is refused first because the ledger is append-only (migration 0011)
        refused = "must belong to the operator of the upload|is never changed or removed"
        with pytest.raises(DBAPIError, match=refused), engine.begin() as conn:
            conn.execute(text(statement))
    with Session(engine) as session:
        assert len(session.exec(select(Movement)).all()) == 2


def test_a_ref_repeated_in_a_later_chunk_and_a_unit_clash_within_one_file_are_refused(
    zone_with_operators, tmp_path, monkeypatch
):
    monkeypatch.setenv("FTZ_IMPORT_CHUNK_ROWS", "2")  # rows 2-3, 4-5, 6: the repeats fall in other chunks
    get_settings.cache_clear()
    rows = [
        admission("M1", lot="NEW1"), admission("M2", lot="NEW2"), admission("M3", lot="NEW3"),
        removal("M4", lot="NEW1", unit="NAR", quantity="4"), removal("M1", lot="NEW2", quantity="1"),
    ]  # fmt: skip
    report = import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", rows))
    assert messages(report) == [
        "row 5, unit: NAR (count) cannot be converted to KGM (mass), the unit lot NEW1 is booked in",
        'row 6, movement_ref: "M1" is also on row 2',
    ]
