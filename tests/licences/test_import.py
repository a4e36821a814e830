"""``ftz import licences``: the register's batches, all or nothing, every row's every error
named by row and column; a version is never changed, a change is a higher version."""

import json

from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.audit.models import AuditEvent
from ftz.cli.main import app
from ftz.licences.models import Licence
from tests.helpers import count, write_csv

runner = CliRunner()


def ftz(*args: str):
    return runner.invoke(app, list(args))


def licence(ref: str = "AE-DU-2026-00002", **fields: str) -> dict[str, str]:
    """A valid licence row of OP001's; ``fields`` override any column."""
    row = {
        "licence_ref": ref, "version": "1", "status": "VALID", "holder": "OP001", "issued_at": "2026-07-25",
        "valid_until": "2027-02-01", "control_codes": "1C202;ML8.a", "destination_countries": "PK;DE",
        "end_user": "", "quantity": "7511.000", "unit": "KGM", "authority": "Export Control Office",
    }  # fmt: skip
    return row | fields


def test_a_batch_is_recorded_and_sent_again_changes_nothing(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "l.csv", [licence(), licence(version="2", destination_countries="pk")])
    first, second = ftz("import", "licences", str(path)), ftz("import", "licences", str(path))
    assert first.stdout == "l.csv: 2 licence versions, 2 new, 0 already recorded\n"
    assert second.stdout == "l.csv: 2 licence versions, all already recorded; nothing changed\n"
    assert count(zone_with_operators, Licence) == 2


def test_every_error_of_every_row_is_named_and_nothing_is_stored(zone_with_operators, tmp_path):
    rows = [
        licence("L-OK"),
        licence("L-2", version="0", status="LAPSED", holder="OP999", issued_at="2026-02-30", control_codes="1C2;ZZ9"),
        licence("L-3", issued_at="2026-08-01", valid_until="2026-07-31", destination_countries="DE;XX", quantity="-5"),
        licence("L-4", quantity="", unit="KGM"),
        licence("L-5", unit="", control_codes=";"),
        licence("L-6", unit="BOX"),
        licence("L-OK", end_user="someone else"),
    ]
    result = ftz("import", "licences", str(write_csv(tmp_path / "bad.csv", rows)))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        'row 3, version: "0" is not a whole number from 1',
        'row 3, status: "LAPSED" is not one of VALID, SUSPENDED, REVOKED',
        'row 3, holder: "OP999" is not a registered operator',
        'row 3, issued_at: "2026-02-30" is not an ISO 8601 date (YYYY-MM-DD) from 1970 to 2199',
        'row 3, control_codes: not a control-list entry (e.g. 1C350, 2B350.a, ML8, or * for any): "1C2", "ZZ9"',
        "row 4, valid_until: comes before issued_at: a licence ends after it is issued",
        'row 4, destination_countries: not an ISO 3166-1 alpha-2 country code: "XX"',
        "row 4, quantity: must be more than 0",
        "row 5, quantity: missing: a unit needs the quantity the licence allows",
        "row 6, control_codes: names none: give a control-list entry (e.g. 1C350, 2B350.a, ML8, or * for any) or "
        "more, separated by ;",
        "row 6, unit: missing: a quantity needs its unit (UN/ECE Rec 20)",
        'row 7, unit: "BOX" is not a UN/ECE Rec 20 unit code ftz converts (KGM, GRM, MGM, TNE, DTN, LBR, ONZ, KTN, …)',
        "row 8, version: the same licence_ref and version as row 2",
    ]
    assert result.stderr == "ftz: bad.csv: rejected, 13 errors; nothing was stored\n"
    assert count(zone_with_operators, Licence) == 0


def test_a_recorded_version_sent_with_other_content_is_refused_naming_the_row(zone_with_operators, tmp_path):
    ftz("import", "licences", str(write_csv(tmp_path / "l.csv", [licence()])))
    changed = write_csv(tmp_path / "changed.csv", [licence("L-NEW"), licence(valid_until="2027-06-30")])
    result = ftz("import", "licences", str(changed))
    assert result.stdout == (
        "row 3, version: licence AE-DU-2026-00002 version 1 is already recorded with other content: "
        "send the change as a higher version\n"
    )
    assert count(zone_with_operators, Licence) == 1


def test_a_json_array_takes_the_defaults_version_1_and_valid(zone_with_operators, tmp_path):
    row = {"licence_ref": "OM-EL-1", "holder": "op002", "issued_at": "2026-08-12", "valid_until": "2026-08-16",
           "control_codes": "*", "destination_countries": "tr", "quantity": 2.5, "unit": "tne"}  # fmt: skip
    (tmp_path / "l.json").write_text(json.dumps([row]))
    assert ftz("import", "licences", str(tmp_path / "l.json")).exit_code == 0
    with Session(zone_with_operators) as session:
        stored = session.exec(select(Licence)).one()
    assert (stored.version, stored.status, stored.destination_countries, stored.unit) == (1, "VALID", "TR", "TNE")
    assert str(stored.quantity) == "2.5"


def test_accepted_and_rejected_batches_are_audited(zone_with_operators, tmp_path):
    ftz("import", "licences", str(write_csv(tmp_path / "l.csv", [licence()])))
    ftz("import", "licences", str(write_csv(tmp_path / "bad.csv", [licence(holder="OP999")])))
    with Session(zone_with_operators) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action.startswith("licences."))).all()
    assert [(e.action, e.details["new"], e.details["errors"]) for e in events] == [
        ("licences.imported", 1, 0),
        ("licences.rejected", 0, 1),
    ]
