"""Runs as of a past moment: reports of what would have been found then, never a rewrite of
the live findings; dates typed by people read in the zone's local time."""

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.auth.scope import SYSTEM
from ftz.cli.main import app
from ftz.discrepancies import service
from ftz.discrepancies.models import Discrepancy
from ftz.errors import InvalidInput
from ftz.ledger import lots
from ftz.ledger.models import StockCountCreate
from ftz.zones import service as zones
from tests.helpers import admission, import_movements, removal, write_csv

runner = CliRunner()


def zone_with_a_shortage(engine, tmp_path) -> None:
    """Lot L1: 1,000.5 kg admitted on 1 Sep with no customs admission; a count on 20 Sep finds 900."""
    assert runner.invoke(app, ["zone", "add", "ZFX", "--name", "Z", "--country", "AE"]).exit_code == 0
    assert runner.invoke(app, ["operator", "add", "OP001", "--zone", "ZFX", "--name", "O"]).exit_code == 0
    import_movements(engine, write_csv(tmp_path / "m.csv", [admission("M1", lot="L1", customs_ref="NOPE1")]))
    with Session(engine) as session:
        count = StockCountCreate(operator_code="OP001", lot_ref="L1", counted_at=datetime(2026, 9, 20, tzinfo=UTC),
                                 quantity="900", unit="KGM")  # fmt: skip
        lots.record_count(session, caller=SYSTEM, count_in=count)
        session.commit()


def live(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.execute(select(Discrepancy).order_by(Discrepancy.id)).scalars()
        return [(d.kind, d.status, d.first_seen_run, d.last_seen_run, d.closed_run) for d in rows]


def test_a_run_as_of_a_past_date_leaves_every_live_finding_as_it_was(engine, tmp_path):
    zone_with_a_shortage(engine, tmp_path)
    first = service.run(engine)
    before = live(engine)
    assert {kind for kind, *_ in before} == {"UNDECLARED_ADMISSION", "STOCK_SHORTAGE"}
    report = service.run(engine, as_of=datetime(2026, 9, 2, tzinfo=UTC))
    assert live(engine) == before
    after = service.run(engine)
    assert after.full is False and after.new == 0 and after.closed == 0
    assert [(k, s, f, c) for k, s, f, _, c in live(engine)] == [(k, s, f, c) for k, s, f, _, c in before]
    assert {last for *_, last, _ in live(engine)} == {after.id} and report.id not in {f for *_, f, _, _ in before}
    assert first.id == before[0][2]


def test_a_report_leaves_out_counts_after_its_date(engine, tmp_path):
    zone_with_a_shortage(engine, tmp_path)
    report = service.run(engine, as_of=datetime(2026, 9, 2, tzinfo=UTC))
    assert report.counts == {"UNDECLARED_ADMISSION": 1}
    later = service.run(engine, as_of=datetime(2026, 9, 21, tzinfo=UTC))
    assert later.counts == {"UNDECLARED_ADMISSION": 1, "STOCK_SHORTAGE": 1}


def test_the_report_is_printed_and_exported_by_the_command_line(engine, tmp_path):
    zone_with_a_shortage(engine, tmp_path)
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["reconcile", "--as-of", "2026-09-21", "--out", str(out), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert "2 discrepancies would have been found then" in result.stdout
    assert sorted(r["kind"] for r in __import__("json").loads(out.read_text())) == ["STOCK_SHORTAGE",
                                                                                   "UNDECLARED_ADMISSION"]  # fmt: skip
    again = runner.invoke(app, ["discrepancies", "export", "--run", "1"])
    assert again.exit_code == 0 and again.stdout.count("\n") == 3  # header and two findings
    assert live(engine) == []


def test_a_run_as_of_a_date_does_not_count_as_the_zones_reconciliation(engine, tmp_path):
    zone_with_a_shortage(engine, tmp_path)
    service.run(engine, as_of=datetime(2026, 9, 2, tzinfo=UTC))
    result = runner.invoke(app, ["runs", "--check"])
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-09-10", "2026-09-10T19:59:59.999999+00:00"),  # the end of the day, Asia/Dubai (UTC+4)
        ("2026-09-10T10:00", "2026-09-10T06:00:00+00:00"),  # local time
        ("2026-09-10T10:00:00+02:00", "2026-09-10T08:00:00+00:00"),  # its own offset
    ],
)
def test_dates_typed_by_people_are_read_in_the_zones_local_time(engine, tmp_path, typed, expected):
    zone_with_a_shortage(engine, tmp_path)
    with Session(engine) as session:
        assert zones.moment(session, value=typed, zone_codes=["ZFX"]).isoformat() == expected


def test_a_naive_date_over_zones_of_different_local_times_asks_for_an_offset(engine, tmp_path):
    zone_with_a_shortage(engine, tmp_path)
    assert runner.invoke(app, ["zone", "add", "ZFR", "--name", "F", "--country", "FR"]).exit_code == 0
    with Session(engine) as session, pytest.raises(InvalidInput, match="give an offset"):
        zones.moment(session, value="2026-09-10", zone_codes=None)
    result = runner.invoke(app, ["reconcile", "--as-of", "tomorrow"])
    assert result.exit_code == 1 and "not an ISO 8601 date" in result.stderr


def test_a_naive_date_over_zones_of_one_offset_then_is_their_common_moment(engine, tmp_path):
    # Dubai and Muscat keep UTC+4 under two time zone names: the day ends at the same moment
    zone_with_a_shortage(engine, tmp_path)
    assert runner.invoke(app, ["zone", "add", "ZFY", "--name", "Y", "--country", "OM"]).exit_code == 0
    with Session(engine) as session:
        assert (
            zones.moment(session, value="2026-09-10", zone_codes=None).isoformat() == "2026-09-10T19:59:59.999999+00:00"
        )
    result = runner.invoke(app, ["reconcile", "--as-of", "2026-09-30"])
    assert result.exit_code == 0, result.stderr


def test_a_report_as_of_a_past_date_sees_a_hold_entered_later_that_covered_it(engine, tmp_path):
    # the ledger and the hold entered today, the hold running from 10 September: like the
    # records, the hold counts by its own times, not by when it was entered
    assert runner.invoke(app, ["zone", "add", "ZFX", "--name", "Z", "--country", "AE"]).exit_code == 0
    assert runner.invoke(app, ["operator", "add", "OP001", "--zone", "ZFX", "--name", "O"]).exit_code == 0
    import_movements(engine, write_csv(tmp_path / "m.csv", [admission("M1"), removal("M2")]))  # removed 20 Sep
    held = ["hold", "add", "--operator", "OP001", "--lot", "LOT1", "--reason", "r", "--from", "2026-09-10"]
    assert runner.invoke(app, held).exit_code == 0
    assert "REMOVAL_UNDER_HOLD" in service.run(engine, as_of=datetime(2026, 9, 30, tzinfo=UTC)).counts
    assert "REMOVAL_UNDER_HOLD" not in service.run(engine, as_of=datetime(2026, 9, 15, tzinfo=UTC)).counts
