"""``ftz profile load|show|test`` and selectivity at a customs import from the command line."""

from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.audit.models import AuditEvent
from ftz.cli.main import app
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Discrepancy
from ftz.examinations.models import Examination
from ftz.profiles.models import ProfileVersion, Selectivity
from tests.helpers import count, customs_item, write_csv

runner = CliRunner()
PROFILES = """
- code: RP-VAN-CN
  title: Vanadium from China
  severity: HIGH
  channel: RED
  valid_from: 2026-01-01
  valid_until: 2026-12-31
  when:
    direction: ADMISSION
    origins: [CN]
    hs_prefixes: ["8112"]
- code: RP-BIG
  title: Large consignments
  severity: LOW
  channel: YELLOW
  when:
    min_quantity: {value: 5, unit: TNE}
"""


def ftz(*args: str):
    return runner.invoke(app, list(args))


def _file(tmp_path: Path, text: str = PROFILES, name: str = "profiles.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _customs(tmp_path: Path, *rows: dict) -> str:
    return str(write_csv(tmp_path / "customs.csv", list(rows)))


def test_a_valid_file_is_loaded_as_a_new_version_audited(zone_with_operators, tmp_path):
    first = ftz("profile", "load", _file(tmp_path))
    second = ftz("profile", "load", _file(tmp_path))
    assert first.exit_code == 0, first.output
    assert "2 profiles loaded as version 1" in first.stdout and "version 2" in second.stdout
    with Session(zone_with_operators) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "profiles.loaded")).all()
    assert [e.details["codes"] for e in events] == [["RP-VAN-CN", "RP-BIG"]] * 2


def test_a_bad_file_is_refused_whole_each_error_named_by_profile_and_field(zone_with_operators, tmp_path):
    bad = PROFILES.replace("origins: [CN]", "origins: [XX]").replace("unit: TNE", "unit: FOO")
    bad += "- code: RP-BIG\n  title: again\n  severity: LOW\n  channel: RED\n  when: {colour: red}\n"
    result = ftz("profile", "load", _file(tmp_path, bad))
    assert result.exit_code == 1
    assert "profile RP-VAN-CN, field when.origins: 'XX' is not an ISO 3166-1 alpha-2 country code" in result.stdout
    assert "profile RP-BIG, field when.min_quantity.unit: unknown unit 'FOO'" in result.stdout
    assert "profile RP-BIG, field when.colour: unknown condition" in result.stdout
    # every command: a one-line reason on standard error (contract section 5)
    assert result.stderr == "ftz: profiles.yaml: refused, 3 errors; nothing changed\n"
    assert count(zone_with_operators, ProfileVersion) == 0


def test_a_file_that_is_not_yaml_is_refused_with_one_line_on_standard_error(zone_with_operators, tmp_path):
    result = ftz("profile", "load", _file(tmp_path, "- code: [RP-1\n  title: {\n"))
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "nothing changed" in result.stderr
    assert count(zone_with_operators, ProfileVersion) == 0


def test_a_catastrophic_pattern_or_reversed_dates_are_refused(zone_with_operators, tmp_path):
    slow = PROFILES.replace('hs_prefixes: ["8112"]', 'description_pattern: "(a+)+$"')
    dates = PROFILES.replace(
        "  channel: YELLOW\n", "  channel: YELLOW\n  valid_from: 2026-05-01\n  valid_until: 2026-04-30\n"
    )
    assert (
        "field when.description_pattern: the pattern backtracks" in ftz("profile", "load", _file(tmp_path, slow)).stdout
    )
    assert (
        "profile RP-BIG: valid_until 2026-04-30 is before valid_from 2026-05-01"
        in ftz("profile", "load", _file(tmp_path, dates)).stdout
    )
    assert count(zone_with_operators, ProfileVersion) == 0


def test_show_lists_the_profiles_in_force_with_version_and_loader(zone_with_operators, tmp_path):
    assert ftz("profile", "show").stdout == "no risk profiles loaded\n"
    ftz("profile", "load", _file(tmp_path))
    shown = ftz("profile", "show").stdout
    assert shown.startswith("version 1, loaded ") and " by cli" in shown
    assert "RP-VAN-CN" in shown and "Large consignments" in shown


def test_arriving_items_get_their_channel_and_a_red_item_opens_an_examination(zone_with_operators, tmp_path):
    ftz("profile", "load", _file(tmp_path))
    result = ftz("import", "customs", _customs(
        tmp_path,
        customs_item("26AE0001", "1", origin_country="CN"),
        customs_item("26AE0001", "2", lot_ref="LOT2", quantity="6"),
        customs_item("26AE0001", "3", lot_ref="LOT3"),
    ))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "selectivity: 1 RED, 1 YELLOW, 1 GREEN" in result.stdout
    assert "RED 26AE0001/1 v1: RP-VAN-CN (examination 1)" in result.stdout
    assert "YELLOW 26AE0001/2 v1: RP-BIG" in result.stdout  # the answer names every hit's profiles
    with Session(zone_with_operators) as session:
        channels = sorted((s.channel, s.profiles) for s in session.exec(select(Selectivity)).all())
        exam = session.exec(select(Examination)).one()
    assert channels == [("GREEN", []), ("RED", ["RP-VAN-CN"]), ("YELLOW", ["RP-BIG"])]
    assert (exam.lot_ref, exam.reasons, exam.status) == ("LOT1", ["RP-VAN-CN"], "OPEN")


def test_an_item_invalidated_in_the_same_file_gets_no_channel_and_opens_no_examination(zone_with_operators, tmp_path):
    ftz("profile", "load", _file(tmp_path))
    result = ftz("import", "customs", _customs(
        tmp_path,
        customs_item("26AE0001", "1", origin_country="CN"),
        customs_item("26AE0001", "1", origin_country="CN", version="2", status="INVALIDATED"),
    ))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "selectivity: 0 RED, 0 YELLOW, 2 GREEN" in result.stdout
    with Session(zone_with_operators) as session:
        assert session.exec(select(Examination)).all() == []


def test_the_backtest_counts_what_a_run_raises_and_stores_nothing(zone_with_operators, tmp_path):
    ftz("import", "customs", _customs(
        tmp_path,
        customs_item("26AE0001", "1", origin_country="CN"),
        customs_item("26AE0002", "1", lot_ref="LOT2", origin_country="CN", lodged_at="2026-10-01T07:00:00"),
        customs_item("26AE0003", "1", lot_ref="LOT3", quantity="7"),
    ))  # fmt: skip
    tested = ftz("profile", "test", _file(tmp_path))
    since = ftz("profile", "test", _file(tmp_path), "--since", "2026-09-15")
    assert tested.exit_code == 0, tested.output
    lines = tested.stdout.splitlines()
    assert lines[1].split()[:2] == ["RP-VAN-CN", "2"] and "26AE0001/1" in lines[1]
    assert lines[2].split()[:2] == ["RP-BIG", "1"]
    assert since.stdout.splitlines()[1].split()[:2] == ["RP-VAN-CN", "1"]
    assert count(zone_with_operators, ProfileVersion) == 0
    ftz("profile", "load", _file(tmp_path))
    runs.run(zone_with_operators, full=True)
    with Session(zone_with_operators) as session:
        raised = session.exec(select(Discrepancy).where(Discrepancy.kind == "RISK_PROFILE_HIT")).all()
    assert sorted(d.evidence["profile"]["code"] for d in raised) == ["RP-BIG", "RP-VAN-CN", "RP-VAN-CN"]


def test_items_stored_by_an_import_killed_before_their_channel_get_it_at_the_next_import(zone_with_operators, tmp_path):
    from ftz.ingest import service as ingest

    ftz("profile", "load", _file(tmp_path))
    assert ftz("import", "customs", _customs(tmp_path, customs_item("26AE0001", "1", lot_ref="LOT3"))).exit_code == 0
    # stored, then the process died before selectivity: the items have no channel yet
    killed = write_csv(tmp_path / "killed.csv", [customs_item("26AE0002", "1", origin_country="CN")])
    report, _ = ingest.import_customs(zone_with_operators, source=killed, filename="killed.csv", sent_by="cli")
    assert report.accepted
    result = ftz("import", "customs", _customs(tmp_path, customs_item("26AE0003", "1", lot_ref="LOT2")))
    assert result.exit_code == 0, result.output
    with Session(zone_with_operators) as session:
        exam = session.exec(select(Examination)).one()
        assert len(session.exec(select(Selectivity)).all()) == 3
    assert (exam.declaration_ref, exam.reasons) == ("26AE0002", ["RP-VAN-CN"])


def test_the_first_customs_import_killed_before_its_channel_gets_it_at_the_next_one(zone_with_operators, tmp_path):
    from ftz.ingest import service as ingest

    ftz("profile", "load", _file(tmp_path))
    killed = write_csv(tmp_path / "killed.csv", [customs_item("26AE0002", "1", origin_country="CN")])
    assert ingest.import_customs(zone_with_operators, source=killed, filename="killed.csv", sent_by="cli")[0].accepted
    assert ftz("import", "customs", _customs(tmp_path, customs_item("26AE0003", "1", lot_ref="LOT2"))).exit_code == 0
    with Session(zone_with_operators) as session:
        assert [e.declaration_ref for e in session.exec(select(Examination))] == ["26AE0002"]


def test_sending_the_killed_file_again_gives_its_items_their_channel(zone_with_operators, tmp_path):
    from ftz.ingest import service as ingest

    ftz("profile", "load", _file(tmp_path))
    killed = write_csv(tmp_path / "killed.csv", [customs_item("26AE0002", "1", origin_country="CN")])
    assert ingest.import_customs(zone_with_operators, source=killed, filename="killed.csv", sent_by="cli")[0].accepted
    assert ftz("import", "customs", str(killed)).exit_code == 0  # every row already recorded
    with Session(zone_with_operators) as session:
        assert [e.declaration_ref for e in session.exec(select(Examination))] == ["26AE0002"]
