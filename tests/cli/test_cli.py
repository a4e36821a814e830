"""The ftz command as scripts and cron lines drive it: exit codes, one-line reasons, printed reports."""

import os
import signal
import subprocess
import sys
import time

from typer.testing import CliRunner

from ftz.cli.main import app
from ftz.zones.models import Operator
from tests.helpers import admission, count, customs_item, removal, stored, write_csv

runner = CliRunner()


def ftz(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


def test_zone_and_operator_registration(engine):
    result = ftz("zone", "add", "zdm", "--name", "Demo Free Zone", "--country", "AE")
    assert result.exit_code == 0
    assert result.stdout.strip() == "zone ZDM registered (Demo Free Zone, AE, local time Asia/Dubai)"
    assert ftz("operator", "add", "OP101", "--zone", "ZDM", "--name", "Gulf Metals").exit_code == 0


def test_a_zone_of_a_country_with_several_times_is_told_which_it_took(engine):
    result = ftz("zone", "add", "ZBR", "--name", "Manaus", "--country", "BR")
    assert result.exit_code == 0
    assert "local time America/Noronha" in result.stdout
    assert "BR also keeps other times (America/Belem" in result.stderr and "--timezone" in result.stderr
    assert ftz("zone", "add", "ZB2", "--name", "Manaus", "--country", "BR", "--timezone", "America/Manaus").stderr == ""
    assert ftz("zone", "add", "ZAR", "--name", "Buenos Aires", "--country", "AR").stderr == ""  # one time only


def test_registering_a_zone_twice_fails_with_one_line(engine):
    ftz("zone", "add", "ZDM", "--name", "Demo", "--country", "AE")
    result = ftz("zone", "add", "ZDM", "--name", "Demo", "--country", "AE")
    assert result.exit_code != 0
    assert result.stderr == "ftz: zone ZDM is already registered\n"


def test_a_zone_needs_a_real_country_and_time_zone(engine):
    assert ftz("zone", "add", "Z1", "--name", "x", "--country", "QQ").stderr.startswith('ftz: "QQ" is not an ISO')
    result = ftz("zone", "add", "Z1", "--name", "x", "--country", "AE", "--timezone", "Mars/Olympus")
    assert result.stderr == 'ftz: "Mars/Olympus" is not an IANA time zone (e.g. Asia/Dubai)\n'


def test_an_option_a_model_refuses_gets_one_line(engine):
    result = ftz("zone", "add", "Z1", "--name", "x", "--country", "OMX")
    assert (result.exit_code, result.stderr) == (1, "ftz: country: String should have at most 2 characters\n")


def test_a_path_that_cannot_be_written_gets_one_line(engine, tmp_path):
    result = ftz("discrepancies", "export", "--out", str(tmp_path / "nowhere" / "x.csv"))
    assert result.exit_code == 1 and result.stderr.endswith("x.csv: No such file or directory\n")
    assert result.stderr.count("\n") == 1
    result = ftz("reconcile", "--as-of", "2026-10-01", "--out", str(tmp_path))
    assert (result.exit_code, result.stderr) == (1, f"ftz: {tmp_path}: is a folder\n")
    assert "run" not in result.stdout  # refused before any run


def test_a_database_url_sqlalchemy_cannot_open_gets_one_line(engine, monkeypatch):
    from ftz.config import get_settings

    monkeypatch.setenv("FTZ_DATABASE_URL", "bogus://x")
    get_settings.cache_clear()
    try:
        result = ftz("discrepancies", "export")
    finally:
        get_settings.cache_clear()
    assert (result.exit_code, result.stderr) == (
        1,
        "ftz: FTZ_DATABASE_URL: Can't load plugin: sqlalchemy.dialects:bogus\n",
    )


def test_an_operator_in_an_unknown_zone_is_refused(engine):
    result = ftz("operator", "add", "OP1", "--zone", "NOPE", "--name", "x")
    assert result.exit_code != 0 and result.stderr.startswith("ftz: zone NOPE is not registered")


def test_import_prints_the_summary_and_exits_zero(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission(), removal()])
    result = ftz("import", "movements", str(path), "--operator", "OP001")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("m.csv: 2 rows, 2 new (0 corrections), 0 already recorded (upload ")


def test_a_rejected_import_prints_every_row_error_and_exits_non_zero(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission(quantity="seventy"), removal(hs_code="x")])
    result = ftz("import", "movements", str(path), "--operator", "OP001")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        'row 2, quantity: "seventy" is not a number',
        'row 3, hs_code: "x" is not an HS code of 6 to 10 digits',
    ]
    assert result.stderr == "ftz: m.csv: rejected, 2 errors; nothing was stored\n"
    assert stored(zone_with_operators) == (0, 0)


def test_a_rejected_import_prints_every_error_past_the_stored_reports_limit(zone_with_operators, tmp_path, monkeypatch):
    from ftz.config import get_settings

    monkeypatch.setenv("FTZ_REPORT_MAX_ERRORS", "1")
    get_settings.cache_clear()
    rows = [admission(f"M{n}", quantity="seventy") for n in range(3)]
    result = ftz("import", "movements", str(write_csv(tmp_path / "m.csv", rows)), "--operator", "OP001")
    get_settings.cache_clear()
    assert result.stdout.splitlines() == [f'row {n}, quantity: "seventy" is not a number' for n in (2, 3, 4)]


def test_an_unreadable_file_gets_one_line(zone_with_operators, tmp_path):
    (tmp_path / "x.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = ftz("import", "movements", str(tmp_path / "x.csv"), "--operator", "OP001")
    assert (result.exit_code, result.stderr) == (1, "ftz: not a CSV, XLSX or JSON file: it is a PNG image\n")


def test_unknown_operator_is_refused_unless_create_missing(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission()])
    result = ftz("import", "movements", str(path), "--operator", "OP777")
    assert result.exit_code == 1 and result.stderr.startswith("ftz: operator OP777 is not registered")
    result = ftz("import", "movements", str(path), "--operator", "OP777", "--create-missing", "--zone", "ZFX")
    assert result.exit_code == 0, result.stderr
    assert stored(zone_with_operators) == (1, 0)


def test_a_refused_file_registers_no_operator_even_with_create_missing(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission(quantity="seventy")])
    result = ftz("import", "movements", str(path), "--operator", "OP777", "--create-missing", "--zone", "ZFX")
    assert result.exit_code == 1 and "registered" not in result.stdout
    assert count(zone_with_operators, Operator) == 3  # the fixture's three; OP777 is not among them
    result = ftz("import", "movements", str(write_csv(tmp_path / "n.csv", [admission()])), "--operator", "OP777")
    assert result.stderr.startswith("ftz: operator OP777 is not registered")


def test_create_missing_registers_the_operator_in_the_only_zone_without_zone(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission()])
    result = ftz("import", "movements", str(path), "--operator", "op777", "--create-missing")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("operator OP777 registered in zone ZFX\n")
    assert stored(zone_with_operators) == (1, 0)
    assert ftz("audit", "verify").exit_code == 0  # its registration is in the trail, chained


def test_import_customs(zone_with_operators, tmp_path):
    result = ftz("import", "customs", str(write_csv(tmp_path / "c.csv", [customs_item()])))
    assert result.exit_code == 0 and stored(zone_with_operators) == (0, 1)


def test_import_customs_with_create_missing_says_what_it_registered(engine, tmp_path):
    home = customs_item("26RE0001", direction="REMOVAL", procedure="HOME_USE", destination_country="AE",
                        origin_country="")  # fmt: skip
    result = ftz("import", "customs", str(write_csv(tmp_path / "c.csv", [customs_item(), home])), "--create-missing")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "registered zone ZFX in AE (where its items release goods for home use) (from the file, named by its code; "
        "its local time is UTC: register a zone with `ftz zone add` before its files)",
        "registered operator OP001 (from the file, named by its code)",
    ]


def test_commands_before_the_schema_exists_say_what_to_do(tmp_path, monkeypatch):
    from ftz.config import get_settings

    monkeypatch.setenv("FTZ_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    get_settings.cache_clear()
    result = ftz("zone", "add", "Z", "--name", "x", "--country", "AE")
    assert result.stderr == "ftz: the database has no schema yet: run `ftz db upgrade`\n"
    assert ftz("db", "upgrade").exit_code == 0
    assert ftz("zone", "add", "Z", "--name", "x", "--country", "AE").exit_code == 0
    get_settings.cache_clear()


def test_an_import_killed_midway_leaves_nothing_behind(zone_with_operators, migrated_url, tmp_path):
    rows = [admission(f"M{i}", lot=f"L{i}") for i in range(300_000)]
    path = write_csv(tmp_path / "big.csv", rows)
    env = os.environ | {"FTZ_DATABASE_URL": migrated_url, "FTZ_IMPORT_CHUNK_ROWS": "20000"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ftz.cli.main", "import", "movements", str(path), "--operator", "OP001"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2.5)  # well inside the import: reading and staging take longer than this
    assert process.poll() is None, "the import finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert stored(zone_with_operators) == (0, 0)
    from ftz.ingest.models import Upload
    from tests.helpers import count

    assert count(zone_with_operators, Upload) == 0
    # and the ledger takes the same file afterwards, whole
    result = ftz("import", "movements", str(path), "--operator", "OP001")
    assert result.exit_code == 0 and stored(zone_with_operators) == (300_000, 0)


def test_terminal_escape_sequences_from_a_file_are_printed_escaped(zone_with_operators, tmp_path):
    path = write_csv(tmp_path / "m.csv", [admission(lot="LOT\x1b[2J\x1b]0;pwned\x07", quantity="\x9b31mseven")])
    result = runner.invoke(app, ["import", "movements", str(path), "--operator", "OP001"])
    assert result.exit_code == 1
    printed = result.stdout + result.stderr
    assert "\x1b" not in printed and "\x9b" not in printed and "\x07" not in printed
    assert "\\x9b31mseven" in printed
