"""Inputs that once slipped through: each refused (or read) the way an operator would expect."""

import json
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook
from sqlmodel import Session

from ftz.auth.scope import SYSTEM
from ftz.discrepancies import service as runs
from ftz.errors import InvalidInput
from ftz.ledger import lots
from ftz.ledger.models import StockCountCreate
from ftz.ledger.service import get_lot_balances
from tests.helpers import (
    MOVEMENT_HEADER,
    admission,
    customs_item,
    import_customs,
    import_movements,
    messages,
    stored,
    write_csv,
)


def lot_balances(engine) -> dict[str, str]:
    frame = get_lot_balances(engine)
    return {row.lot_ref: str(row.balance) for row in frame.itertuples()}


def test_numbers_too_large_for_the_ledger_are_refused_not_wrapped(zone_with_operators, tmp_path):
    rows = [admission("M1", quantity="18446744073710"), admission("M2", lot="L2", quantity="123456789012345678")]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    assert [e.message.split(" is ")[1] for e in report.errors] == [
        "too large (at most 12 digits before the decimal point)"
    ] * 2
    assert stored(zone_with_operators) == (0, 0)


def test_a_quantity_too_large_once_converted_to_its_base_unit_is_refused(zone_with_operators, tmp_path):
    rows = [admission("M1", quantity="999999999999", unit="TNE"), admission("M2", lot="L2", quantity="999999999999")]
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows))
    assert messages(report) == [
        "row 2, quantity: 999999999999 TNE is more than one record may hold (less than 1,000,000,000,000 KGM)"
    ]
    assert stored(zone_with_operators) == (0, 0)
    items = [customs_item(quantity="1000000000", unit="TNE")]
    refused = import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", items))
    assert [e.column for e in refused.errors] == ["quantity"] and not refused.accepted


def test_a_count_too_large_in_its_base_unit_is_refused_and_runs_go_on(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", [admission("M1", quantity="5", unit="TNE")]))
    count = StockCountCreate(operator_code="OP001", lot_ref="LOT1", counted_at=datetime(2026, 9, 20, tzinfo=UTC),
                             quantity="999999999999.999999", unit="TNE")  # fmt: skip
    with (
        Session(zone_with_operators) as session,
        pytest.raises(InvalidInput, match=r"quantity: 999999999999\.999999 TNE"),
    ):
        lots.record_count(session, caller=SYSTEM, count_in=count)
    assert runs.run(zone_with_operators).outcome == "SUCCEEDED"


def test_a_correction_cannot_overwrite_another_ref(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission("M1"), admission("M2", lot="L2")]))
    report = import_movements(
        zone_with_operators, write_csv(tmp_path / "b.csv", [admission("M1", quantity="999", corrects_ref="M2")])
    )
    assert messages(report) == [
        'row 2, movement_ref: "M1" is already recorded with other content; to change it, send the row with corrects_ref'
    ]


def test_a_row_is_corrected_once_and_later_fixes_correct_the_correction(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission("M1", quantity="100")]))
    import_movements(
        zone_with_operators, write_csv(tmp_path / "b.csv", [admission("M1b", quantity="90", corrects_ref="M1")])
    )
    twice = import_movements(
        zone_with_operators, write_csv(tmp_path / "c.csv", [admission("M1c", quantity="80", corrects_ref="M1")])
    )
    assert messages(twice) == ['row 2, corrects_ref: "M1" is already corrected by "M1b"; correct that one instead']
    chain = import_movements(
        zone_with_operators, write_csv(tmp_path / "d.csv", [admission("M1c", quantity="80", corrects_ref="M1b")])
    )
    assert chain.accepted and lot_balances(zone_with_operators) == {"LOT1": "80"}


def test_a_wrong_unit_can_be_corrected(zone_with_operators, tmp_path):
    import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission(unit="NAR", quantity="5")]))
    fix = admission(unit="KGM", quantity="5", corrects_ref="M1")
    assert import_movements(zone_with_operators, write_csv(tmp_path / "b.csv", [fix])).accepted


def test_an_unterminated_quote_is_refused_naming_its_line(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission("M1"), admission("M2", lot="L2"), admission("M3", lot="L3")])
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace('"vanadium, unwrought"', '"vanadium, unwrought')  # would swallow row 4
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidInput, match="a quoted field is never closed: see line 3, "):
        import_movements(zone_with_operators, path)


@pytest.mark.parametrize(
    "value", ["2026-09-01T08:00:00.1234567", "2026-9-1", "2026-09", "2026-09-01T08:00:00 +04:00", "2026-02-30"]
)
def test_loose_or_impossible_dates_are_row_errors(zone_with_operators, tmp_path, value):
    report = import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", [admission(occurred_at=value)]))
    assert messages(report) == [f'row 2, occurred_at: "{value}" is not an ISO 8601 date or date-time']


def test_digits_of_other_scripts_are_not_numbers(zone_with_operators, tmp_path):
    report = import_movements(
        zone_with_operators,
        write_csv(
            tmp_path / "m.csv", [admission(quantity="\u0661\u0662", hs_code="\uff18\uff11\uff11\uff12\uff19\uff12")]
        ),
    )
    assert [e.column for e in report.errors] == ["hs_code", "quantity"]


def test_a_header_naming_a_column_twice_is_a_row_1_error(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission()])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",quantity", lines[1] + ",5"]) + "\n")
    assert messages(import_movements(zone_with_operators, path)) == ["row 1, quantity: the column appears twice"]


def test_an_empty_line_of_commas_is_a_blank_row(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission("M1"), admission("M2", lot="L2")])
    lines = path.read_text().splitlines()
    lines.insert(2, ",,")
    lines[1] += ",extra"
    path.write_text("\n".join(lines) + "\n")
    assert messages(import_movements(zone_with_operators, path)) == ["row 2, (row): 11 fields where the header has 10"]


def test_control_characters_in_text_are_refused(zone_with_operators, tmp_path):
    (tmp_path / "m.json").write_text(json.dumps([admission(description="a\u0000b")]))
    assert messages(import_movements(zone_with_operators, tmp_path / "m.json")) == [
        "row 1, description: holds control characters (such as NUL)"
    ]


def test_json_objects_with_a_key_twice_are_refused(zone_with_operators, tmp_path):
    (tmp_path / "m.json").write_text('[{"movement_ref": "M1", "quantity": 5, "quantity": 6}]')
    with pytest.raises(InvalidInput, match='the key "quantity" twice'):
        import_movements(zone_with_operators, tmp_path / "m.json")


def test_a_header_without_rows_is_a_batch_of_nothing(zone_with_operators, tmp_path):
    (tmp_path / "m.csv").write_text(",".join(MOVEMENT_HEADER) + "\n")
    report = import_movements(zone_with_operators, tmp_path / "m.csv")
    assert (report.accepted, report.rows_total, report.summary()) == (True, 0, "m.csv: no rows; nothing changed")


def test_an_empty_json_array_is_a_batch_of_nothing(zone_with_operators, tmp_path):
    (tmp_path / "m.json").write_text("[]")
    report = import_movements(zone_with_operators, tmp_path / "m.json")
    assert (report.accepted, report.rows_total) == (True, 0)


def test_a_header_without_rows_still_needs_its_required_columns(zone_with_operators, tmp_path):
    (tmp_path / "m.csv").write_text("movement_ref,quantity\n")
    assert "required column is missing" in messages(import_movements(zone_with_operators, tmp_path / "m.csv"))[-1]


def test_a_stray_cell_far_right_in_a_sheet_is_refused_on_its_own_row(zone_with_operators, tmp_path):
    # the other rows stay as wide as the header: the sheet is not read as 16,000 columns
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(MOVEMENT_HEADER)
    sheet.append([admission().get(name) for name in MOVEMENT_HEADER])
    sheet.cell(row=5000, column=16000, value="x")
    workbook.save(tmp_path / "m.xlsx")
    report = import_movements(zone_with_operators, tmp_path / "m.xlsx")
    assert [str(e) for e in report.errors] == [
        f"row 5000, (row): cells beyond the header's {len(MOVEMENT_HEADER)} columns"
    ]
