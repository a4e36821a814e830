"""The same movements arrive as CSV (comma or semicolon, with or without BOM), XLSX or JSON."""

import json
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlmodel import Session, select

from ftz.errors import InvalidInput
from ftz.ledger.models import Movement
from tests.helpers import MOVEMENT_HEADER, admission, import_movements, removal, write_csv


def _quantities(engine) -> dict[str, Decimal]:
    with Session(engine) as session:
        return {m.movement_ref: m.quantity for m in session.exec(select(Movement))}


def test_semicolon_csv_with_bom_and_decimal_commas(zone_with_operators, tmp_path):
    rows = [admission(quantity="1000,25"), removal(quantity="400")]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows, delimiter=";", bom=True))
    assert report.accepted, report.errors
    assert _quantities(zone_with_operators) == {"M1": Decimal("1000.25"), "M2": Decimal(400)}


def test_quoted_fields_may_hold_the_delimiter_and_line_breaks(zone_with_operators, tmp_path):
    rows = [admission(description='vanadium, unwrought\n"ingots"'), admission("M2", lot="L2", quantity="7")]
    path = write_csv(tmp_path / "m.csv", rows)
    report = import_movements(zone_with_operators, path)
    assert report.accepted and report.rows_new == 2
    with Session(zone_with_operators) as session:
        first = session.exec(select(Movement).where(Movement.movement_ref == "M1")).one()
        second = session.exec(select(Movement).where(Movement.movement_ref == "M2")).one()
    assert first.description == 'vanadium, unwrought\n"ingots"'
    assert second.row_no == 3  # the spreadsheet row, though the file line is 4


def test_xlsx_first_sheet_with_numbers_and_dates_as_cells(zone_with_operators, tmp_path):
    from datetime import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(MOVEMENT_HEADER)
    for row in (admission(quantity="1000.5"), removal(quantity="400")):
        cells = [row.get(name) for name in MOVEMENT_HEADER]
        cells[MOVEMENT_HEADER.index("quantity")] = float(row["quantity"])
        cells[MOVEMENT_HEADER.index("occurred_at")] = datetime.fromisoformat(row["occurred_at"])
        sheet.append(cells)
    workbook.create_sheet("notes").append(["ignored"])
    workbook.save(tmp_path / "m.xlsx")
    report = import_movements(zone_with_operators, tmp_path / "m.xlsx")
    assert report.accepted, report.errors
    assert _quantities(zone_with_operators) == {"M1": Decimal("1000.5"), "M2": Decimal(400)}


def test_an_xlsx_cell_far_right_of_the_header_is_refused_on_its_row(zone_with_operators, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(MOVEMENT_HEADER)
    for row in (admission(), removal()):
        sheet.append([row.get(name) for name in MOVEMENT_HEADER])
    sheet.cell(row=3, column=len(MOVEMENT_HEADER) + 5, value="stray")
    workbook.save(tmp_path / "m.xlsx")
    report = import_movements(zone_with_operators, tmp_path / "m.xlsx")
    assert [str(e) for e in report.errors] == [
        f"row 3, (row): cells beyond the header's {len(MOVEMENT_HEADER)} columns"
    ]


def test_json_array_with_numbers_and_missing_keys(zone_with_operators, tmp_path):
    first = admission() | {"quantity": 1000.123}
    second = {k: v for k, v in removal().items() if v}
    (tmp_path / "m.json").write_text(json.dumps([first, second]))
    report = import_movements(zone_with_operators, tmp_path / "m.json")
    assert report.accepted, report.errors
    assert _quantities(zone_with_operators)["M1"] == Decimal("1000.123")


def test_json_numbers_written_with_an_exponent_keep_their_exact_value(zone_with_operators, tmp_path):
    first = admission() | {"quantity": "@1"}
    second = removal() | {"quantity": "@2"}
    text = json.dumps([first, second]).replace('"@1"', "1.000123E3").replace('"@2"', "2.5e-1")
    (tmp_path / "m.json").write_text(text)
    report = import_movements(zone_with_operators, tmp_path / "m.json")
    assert report.accepted, report.errors
    assert _quantities(zone_with_operators) == {"M1": Decimal("1000.123"), "M2": Decimal("0.25")}


def test_json_keys_are_matched_case_insensitively_from_object_to_object(zone_with_operators, tmp_path):
    second = {key.upper(): value for key, value in removal().items()}
    (tmp_path / "m.json").write_text(json.dumps([admission(), second]))
    report = import_movements(zone_with_operators, tmp_path / "m.json")
    assert report.accepted, report.errors
    assert _quantities(zone_with_operators) == {"M1": Decimal("1000.5"), "M2": Decimal(400)}


def test_two_keys_of_one_json_object_naming_one_column_are_refused(zone_with_operators, tmp_path):
    (tmp_path / "m.json").write_text(json.dumps([admission() | {"Quantity": "3"}]))
    with pytest.raises(InvalidInput, match='row 1: the keys "quantity" and "Quantity" name the same column'):
        import_movements(zone_with_operators, tmp_path / "m.json")


def test_same_rows_in_any_format_are_the_same_records(zone_with_operators, tmp_path):
    rows = [admission(), removal()]
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    (tmp_path / "m.json").write_text(json.dumps(rows))
    again = import_movements(zone_with_operators, tmp_path / "m.json")
    assert again.accepted and again.rows_new == 0 and again.rows_unchanged == 2


def test_blank_lines_are_skipped_without_shifting_row_numbers(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission(), admission("M2", lot="L2", quantity="x")])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", lines[2]]) + "\n")
    report = import_movements(zone_with_operators, path)
    assert [str(e) for e in report.errors] == ['row 4, quantity: "x" is not a number']


def test_blank_lines_before_the_header_are_skipped_and_keep_their_numbers(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission(), admission("M2", lot="L2", quantity="x")])
    path.write_text("\n\n" + path.read_text())
    report = import_movements(zone_with_operators, path)
    assert [str(e) for e in report.errors] == ['row 5, quantity: "x" is not a number']


def test_local_times_at_a_clock_change_are_read_not_refused(engine, tmp_path):
    from datetime import UTC, datetime

    from ftz.zones import service as zones
    from ftz.zones.models import OperatorBase, ZoneBase

    with Session(engine) as session:
        zones.create_zone(session, zone_in=ZoneBase(code="ZDE", name="Z", country="DE", timezone="Europe/Berlin"))
        zones.create_operator(session, operator_in=OperatorBase(code="OP001", name="O"), zone_code="ZDE")
        session.commit()
    rows = [
        admission("M1", occurred_at="2026-10-25T02:30:00"),  # clocks went back: 02:30 came twice
        admission("M2", lot="L2", occurred_at="2026-03-29T02:30:00"),  # clocks went forward: no 02:30 that day
    ]
    report = import_movements(engine, write_csv(tmp_path / "m.csv", rows))
    assert report.accepted, report.errors
    with Session(engine) as session:
        at = {m.movement_ref: m.occurred_at for m in session.exec(select(Movement))}
    assert at["M1"] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30, summer time (UTC+2)
    assert at["M2"] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 summer time, when the clocks resumed
