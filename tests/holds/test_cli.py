"""``ftz hold`` as customs' scripts drive it: ids alone on standard output, one-line refusals."""

from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.audit.models import AuditEvent
from ftz.cli.main import app
from ftz.holds.models import Hold
from tests.helpers import admission, customs_item, import_customs, import_movements, write_csv

runner = CliRunner()


def ftz(*args: str):
    return runner.invoke(app, list(args))


def _lots(engine, tmp_path) -> None:
    """LOT1 booked by OP001; LOT9 named by a customs item only."""
    import_movements(engine, write_csv(tmp_path / "m.csv", [admission()]))
    import_customs(engine, write_csv(tmp_path / "c.csv", [customs_item("D9", lot_ref="LOT9")]))


def test_a_hold_placed_prints_its_id_alone(zone_with_operators, tmp_path):
    _lots(zone_with_operators, tmp_path)
    result = ftz("hold", "add", "--operator", "OP001", "--lot", "LOT1", "--reason", "intelligence referral")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "1\n"


def test_a_lot_named_only_by_a_customs_item_can_be_held(zone_with_operators, tmp_path):
    _lots(zone_with_operators, tmp_path)
    assert ftz("hold", "add", "--operator", "OP001", "--lot", "LOT9", "--reason", "x").exit_code == 0


def test_an_unknown_lot_or_operator_is_refused_with_one_line(zone_with_operators, tmp_path):
    _lots(zone_with_operators, tmp_path)
    lot = ftz("hold", "add", "--operator", "OP001", "--lot", "NOPE", "--reason", "x")
    operator = ftz("hold", "add", "--operator", "OP999", "--lot", "LOT1", "--reason", "x")
    other = ftz("hold", "add", "--operator", "OP002", "--lot", "LOT1", "--reason", "x")  # another's lot
    assert lot.exit_code == 1
    assert lot.stderr == "ftz: no lot NOPE of operator OP001: no movement or customs item names it\n"
    assert operator.exit_code == 1 and operator.stderr == "ftz: no operator OP999\n"
    assert other.exit_code == 1 and other.stderr.startswith("ftz: no lot LOT1 of operator OP002")


def test_a_bare_date_starts_the_hold_at_the_beginning_of_that_day_in_the_zone(zone_with_operators, tmp_path):
    _lots(zone_with_operators, tmp_path)
    ftz("hold", "add", "--operator", "OP001", "--lot", "LOT1", "--reason", "x", "--from", "2026-09-03")
    with Session(zone_with_operators) as session:
        hold = session.exec(select(Hold)).one()
    assert hold.starts_at.isoformat() == "2026-09-02T20:00:00+00:00"  # midnight in Dubai


def test_a_bad_moment_is_a_one_line_error(zone_with_operators, tmp_path):
    _lots(zone_with_operators, tmp_path)
    result = ftz("hold", "add", "--operator", "OP001", "--lot", "LOT1", "--reason", "x", "--from", "2026-13-45")
    far = ftz("hold", "add", "--operator", "OP001", "--lot", "LOT1", "--reason", "x", "--from", "1900-01-01T00:00")
    assert (result.exit_code, result.stderr) == (1, 'ftz: "2026-13-45" is not an ISO 8601 date or date-time\n')
    assert far.stderr == 'ftz: "1900-01-01T00:00" lies outside the years 1970 to 2199\n'


def test_a_release_before_the_start_is_refused(zone_with_operators, tmp_path):
    _lots(zone_with_operators, tmp_path)
    ftz("hold", "add", "--operator", "OP001", "--lot", "LOT1", "--reason", "x", "--from", "2026-09-03T10:00")
    result = ftz("hold", "release", "1", "--reason", "done", "--at", "2026-09-03T09:59")
    assert result.exit_code == 1
    assert result.stderr == (
        "ftz: the release (2026-09-03 05:59 UTC) cannot come before the hold's start (2026-09-03 06:00 UTC)\n"
    )


def test_releasing_a_released_hold_says_so(zone_with_operators, tmp_path):
    _lots(zone_with_operators, tmp_path)
    ftz("hold", "add", "--operator", "OP001", "--lot", "LOT1", "--reason", "x", "--from", "2026-09-03")
    assert ftz("hold", "release", "1", "--reason", "done", "--at", "2026-09-05T12:00+04:00").exit_code == 0
    again = ftz("hold", "release", "1", "--reason", "again")
    assert again.exit_code == 1 and again.stderr.startswith("ftz: hold 1 was already released, at 2026-09-05 08:00 UTC")


def test_the_list_names_who_placed_and_released_each_hold(zone_with_operators, tmp_path):
    _lots(zone_with_operators, tmp_path)
    ftz("hold", "add", "--operator", "OP001", "--lot", "LOT1", "--reason", "referral", "--from", "2026-09-03")
    ftz("hold", "add", "--operator", "OP001", "--lot", "LOT9", "--reason", "licence check")
    ftz("hold", "release", "1", "--reason", "examined", "--at", "2026-09-04")
    every = ftz("hold", "list", "--operator", "OP001").stdout.splitlines()
    active = ftz("hold", "list", "--active").stdout.splitlines()
    assert len(every) == 3 and "cli:" in every[2] and every[2].count("cli:") == 2 and "examined" in every[2]
    assert len(active) == 2 and " LOT9 " in active[1]


def test_placing_and_releasing_are_audited(zone_with_operators, tmp_path):
    _lots(zone_with_operators, tmp_path)
    ftz("hold", "add", "--operator", "OP001", "--lot", "LOT1", "--reason", "referral")
    ftz("hold", "release", "1", "--reason", "examined")
    with Session(zone_with_operators) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.subject == "hold:1")).all()
    actions = [(e.action, e.details["reason"]) for e in events]
    assert actions == [("hold.placed", "referral"), ("hold.released", "examined")]
