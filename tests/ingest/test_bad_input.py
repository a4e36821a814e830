"""Files that are not what they claim: each refused with a one-line reason, nothing stored."""

import json
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import Session

from ftz.errors import InvalidInput
from ftz.ingest.models import Upload
from ftz.ledger.models import Movement
from tests.helpers import MOVEMENT_HEADER, admission, import_movements, messages, removal, stored, write_csv


def refused(engine, path) -> str:
    with pytest.raises(InvalidInput) as caught:
        import_movements(engine, path)
    assert stored(engine) == (0, 0)
    reason = str(caught.value)
    assert "\n" not in reason and "Traceback" not in reason
    return reason


def test_a_file_in_another_encoding_names_the_line(zone_with_operators, tmp_path):
    path = tmp_path / "latin1.csv"
    write_csv(path, [admission(), admission("M2", counterparty="Société Générale")])
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    assert refused(zone_with_operators, path) == "not UTF-8 text: byte 0xE9 on line 3 (save the file as UTF-8)"


def test_binary_junk_is_refused(zone_with_operators, tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 40)
    assert refused(zone_with_operators, path).startswith("not a text file: it holds binary data")


def test_a_png_renamed_csv_is_refused(zone_with_operators, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert refused(zone_with_operators, path) == "not a CSV, XLSX or JSON file: it is a PNG image"


def test_an_empty_file_is_refused(zone_with_operators, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\n\n")
    assert refused(zone_with_operators, path) == "the file is empty"


def test_a_corrupt_xlsx_is_refused(zone_with_operators, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x17" * 500)
    assert refused(zone_with_operators, path).startswith("not a readable XLSX workbook")


def test_an_xlsx_that_unpacks_past_the_limit_is_refused_before_it_is_opened(zone_with_operators, tmp_path, monkeypatch):
    from ftz.config import get_settings

    monkeypatch.setenv("FTZ_XLSX_MAX_UNCOMPRESSED_BYTES", str(10 * 1024**2))
    get_settings.cache_clear()
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024**2))  # compresses to ~50 KB
    assert path.stat().st_size < 200_000
    assert refused(zone_with_operators, path).startswith("the workbook unpacks to 52,428,")


def test_json_that_is_not_an_array_of_objects_is_refused(zone_with_operators, tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"movement_ref": "M1"}))
    assert refused(zone_with_operators, path) == "the JSON must be an array of objects, one per row"


def test_broken_json_names_line_and_column(zone_with_operators, tmp_path):
    path = tmp_path / "m.json"
    path.write_text('[{"movement_ref": "M1",\n "quantity": }]')
    assert refused(zone_with_operators, path) == "not valid JSON: Expecting value at line 2, column 14"


def test_nan_infinity_and_overflowing_numbers_are_row_errors(zone_with_operators, tmp_path):
    rows = [
        admission("M1", quantity="NaN"),
        admission("M2", lot="L2", quantity="inf"),
        admission("M3", lot="L3", quantity="1e400"),
        admission("M4", lot="L4", quantity="12345678901234567890"),
        admission("M5", lot="L5", quantity="1.0000001"),
    ]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    assert messages(report) == [
        'row 2, quantity: "NaN" is not a finite number',
        'row 3, quantity: "inf" is not a finite number',
        'row 4, quantity: "1e400" is not a number',
        'row 5, quantity: "12345678901234567890" is too large (at most 12 digits before the decimal point)',
        'row 6, quantity: "1.0000001" has more than 6 decimal places',
    ]
    assert stored(zone_with_operators) == (0, 0)


def test_zeros_past_six_decimal_places_change_nothing_and_are_read(zone_with_operators, tmp_path):
    rows = [admission(quantity="1000.12345600000"), removal(quantity="400.0000000")]
    assert import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows)).accepted
    with Session(zone_with_operators) as session:
        quantities = sorted(session.scalars(select(Movement.quantity)))
    assert quantities == [Decimal("400"), Decimal("1000.123456")]


def test_json_nan_is_refused_and_json_numbers_keep_their_exact_digits(zone_with_operators, tmp_path):
    path = tmp_path / "m.json"
    path.write_text('[{"movement_ref": "M1", "quantity": NaN}]')
    assert refused(zone_with_operators, path) == "not valid JSON: NaN is not a number JSON allows"


def test_a_row_with_too_many_fields_is_reported_and_later_rows_keep_their_numbers(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission("M1"), admission("M2", lot="L2"), admission("M3", lot="L3")])
    lines = path.read_text().splitlines()
    lines[2] += ",surplus"
    lines[3] = lines[3].replace("1000.5", "lots")
    path.write_text("\n".join(lines) + "\n")
    report = import_movements(zone_with_operators, path)
    assert messages(report) == [
        "row 3, (row): 11 fields where the header has 10",
        'row 4, quantity: "lots" is not a number',
    ]


def test_nested_json_values_are_row_errors(zone_with_operators, tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps([admission(), admission("M2", lot="L2") | {"quantity": {"value": 3}}]))
    report = import_movements(zone_with_operators, path)
    assert messages(report) == ['row 2, quantity: "{"value": "3"}" is not a number']


def test_an_xlsx_with_text_in_a_number_column_names_the_sheet_row(zone_with_operators, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(MOVEMENT_HEADER)
    row = admission()
    sheet.append([row.get(name) for name in MOVEMENT_HEADER])
    sheet.append([(admission("M2", lot="L2") | {"quantity": "seventy"}).get(name) for name in MOVEMENT_HEADER])
    workbook.save(tmp_path / "m.xlsx")
    report = import_movements(zone_with_operators, tmp_path / "m.xlsx")
    assert messages(report) == ['row 3, quantity: "seventy" is not a number']


def test_a_json_object_with_a_key_outside_the_contract_is_refused_at_that_key(zone_with_operators, tmp_path):
    path = tmp_path / "m.json"
    objects = [admission(f"M{n}") for n in range(1, 4)]
    objects[1] = objects[1] | {"colour": "red"}
    path.write_text(json.dumps(objects))
    assert refused(zone_with_operators, path).startswith('row 2, "colour": unknown key (the keys are: movement_ref,')


def test_distinct_stray_keys_in_every_object_are_refused_at_the_first(zone_with_operators, tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps([{"movement_ref": f"M{n}", f"k{n}": "x"} for n in range(8_000)]))
    assert refused(zone_with_operators, path).startswith('row 1, "k0": unknown key')


@pytest.mark.parametrize(
    ("lot", "reason"),
    [
        ("LOT\u202e1", "holds invisible or direction-changing characters"),  # right-to-left override
        ("LOT\u200b1", "holds invisible or direction-changing characters"),  # zero-width space
        ("L\u041eT1", "mixes letters of several scripts (look-alike characters)"),  # a Cyrillic O
    ],
)
def test_a_reference_that_hides_or_imitates_another_is_a_row_error(zone_with_operators, tmp_path, lot, reason):
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", [admission(lot=lot)]))
    assert not report.accepted and messages(report) == [f"row 2, lot_ref: {reason}"]


def test_references_are_compared_after_nfkc_normalisation(zone_with_operators, tmp_path):
    first = import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission("M1", lot="LOT1")]))
    wide = admission("\uff2d1", lot="\uff2c\uff2f\uff341")  # full-width M1 and LOT1
    again = import_movements(zone_with_operators, write_csv(tmp_path / "b.csv", [wide]))
    assert first.accepted and again.accepted and again.rows_unchanged == 1 and again.rows_new == 0


def test_a_reference_in_one_other_script_is_accepted(zone_with_operators, tmp_path):
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", [admission(lot="دفعة-7")]))
    assert report.accepted


def test_a_header_of_30000_made_up_columns_makes_a_report_of_bounded_size(zone_with_operators, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(",".join(f"made_up_{n}" for n in range(30_000)) + "\n1\n")
    report = import_movements(zone_with_operators, path)
    assert not report.accepted and len(report.errors) > 30_000
    with Session(zone_with_operators) as session:
        stored = session.execute(select(Upload)).scalar_one()
    assert stored.error_count == len(report.errors) and len(stored.errors) == 1_000
    assert len(json.dumps(stored.errors)) < 200_000
