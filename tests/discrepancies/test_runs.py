"""Runs over whole zones loaded through the import path: what is found, and how findings live on."""

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.cli.main import app
from ftz.discrepancies import partitions, service
from ftz.discrepancies.models import Discrepancy, Run
from ftz.zones import service as zones
from reconciliation.engine import SOURCES
from reconciliation.kinds import of_sources
from tests.helpers import admission, import_customs, import_movements, write_csv

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def load_zone(engine, folder: Path, zone: str, operators: list[str]) -> None:
    """Register a zone and import its files as an operator and customs would."""
    commands = [["zone", "add", zone, "--name", zone, "--country", "AE"]]
    commands += [["operator", "add", op, "--zone", zone, "--name", op] for op in operators]
    for args in commands:
        assert runner.invoke(app, args).exit_code == 0
    assert import_customs(engine, folder / "customs.csv").accepted
    for path in sorted(folder.glob("movements_*")):
        assert import_movements(engine, path, path.stem.removeprefix("movements_")).accepted
    load_registers(folder)


def load_registers(folder: Path) -> None:
    """Customs' registers, where the zone has them, through the commands customs runs (as `make demo` does):
    the licences imported, each hold placed and, where the file says so, released."""
    if (folder / "licences.csv").exists():
        loaded = runner.invoke(app, ["import", "licences", str(folder / "licences.csv")])
        assert loaded.exit_code == 0, loaded.output
    holds = folder / "holds.csv"
    for hold in pd.read_csv(holds, dtype=str, keep_default_na=False).to_dict("records") if holds.exists() else []:
        placed = runner.invoke(app, ["hold", "add", "--operator", hold["operator_code"], "--lot", hold["lot_ref"],
                                     "--reason", hold["reason"], "--from", hold["from_at"]])  # fmt: skip
        assert placed.exit_code == 0, placed.output
        if hold["release_at"]:
            released = runner.invoke(app, ["hold", "release", placed.stdout.strip(), "--reason",
                                           hold["release_reason"], "--at", hold["release_at"]])  # fmt: skip
            assert released.exit_code == 0, released.output


def found(engine) -> pd.DataFrame:
    with Session(engine) as session:
        rows = [(d.operator_id, d.lot_ref, d.kind, d.strategic) for d in service.get_all(session)]
        codes = {o.id: o.code for o in zones.get_all_operators(session)}
    frame = pd.DataFrame(rows, columns=["operator_id", "lot_ref", "kind", "strategic"])
    frame["operator_code"] = frame["operator_id"].map(codes)
    return frame[["operator_code", "lot_ref", "kind", "strategic"]].drop_duplicates(
        ["operator_code", "lot_ref", "kind"]
    )


def planted(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str)
    return frame.assign(strategic=frame["strategic"] == "true")


@pytest.mark.parametrize(
    ("folder", "zone", "operators", "sources"),
    [
        (ROOT / "tests" / "fixtures" / "zone-sample", "ZFX", ["OP001", "OP002", "OP003"], SOURCES),
        # The demo carries a licence register and holds: every family of rules is compared.
        (ROOT / "fixtures" / "demo", "ZDM", ["OP101", "OP102", "OP103", "OP104"], SOURCES),
    ],
    ids=["sample-zone", "demo-zone"],
)
def test_every_planted_discrepancy_is_found_and_nothing_else(engine, folder, zone, operators, sources):
    load_zone(engine, folder, zone, operators)
    service.run(engine)
    got = found(engine)
    got = got[got["kind"].isin(of_sources(sources))].sort_values(["operator_code", "lot_ref", "kind"])
    got = got.reset_index(drop=True)
    expected = planted(folder / "expected.csv").sort_values(["operator_code", "lot_ref", "kind"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)


def two_lots(engine, tmp_path) -> None:
    assert runner.invoke(app, ["zone", "add", "ZFX", "--name", "Z", "--country", "AE"]).exit_code == 0
    assert runner.invoke(app, ["operator", "add", "OP001", "--zone", "ZFX", "--name", "O"]).exit_code == 0
    rows = [
        admission("M1", lot="L1", customs_ref="NOPE1", control_code="1C202"),
        admission("M2", lot="L2", customs_ref="NOPE2", control_code="1C202"),
    ]
    import_movements(engine, write_csv(tmp_path / "m.csv", rows))


def test_a_finding_seen_again_keeps_its_identity(engine, tmp_path):
    two_lots(engine, tmp_path)
    first, second = service.run(engine), service.run(engine)
    with Session(engine) as session:
        rows = session.execute(select(Discrepancy)).scalars().all()
    assert len(rows) == 2 and {(d.first_seen_run, d.last_seen_run) for d in rows} == {(first.id, second.id)}
    assert (second.new, second.seen_again, second.closed) == (0, 2, 0)


def test_a_finding_the_data_no_longer_supports_is_closed_with_the_reason(engine, tmp_path):
    two_lots(engine, tmp_path)
    service.run(engine)
    fix = admission(
        "M1b",
        lot="L1",
        customs_ref="NOPE1",
        quantity="1000.5",
        corrects_ref="M1",
        movement_type="ADJUST",
        note="booked in error",
    )
    fix |= {"quantity": "-1000.5"}
    # the operator withdraws L1's admission by correcting it into a zero adjustment is not allowed;
    # instead customs declares it, and the finding on L1 goes away
    item = {
        "declaration_ref": "NOPE1", "item_no": "1", "direction": "ADMISSION", "lodged_at": "2026-09-01T07:00:00",
        "zone_code": "ZFX", "operator_code": "OP001", "lot_ref": "L1", "hs_code": "811292", "quantity": "1000.5",
        "unit": "KGM", "origin_country": "KR",
    }  # fmt: skip
    assert import_customs(engine, write_csv(tmp_path / "c.csv", [item])).accepted
    second = service.run(engine)
    with Session(engine) as session:
        gone = session.execute(select(Discrepancy).where(Discrepancy.lot_ref == "L1")).scalar_one()
    assert (gone.status, gone.closed_run, second.closed) == ("CLOSED", second.id, 1)
    assert gone.close_reason == f"no longer supported by the data (run {second.id})"
    exported = json.loads(runner.invoke(app, ["discrepancies", "export", "--all", "--format", "json"]).stdout)
    closed = next(r for r in exported if r["lot_ref"] == "L1")
    assert (closed["closed_run"], closed["close_reason"]) == (second.id, gone.close_reason)


def test_an_auditors_decision_is_never_overwritten_by_a_run(engine, tmp_path):
    two_lots(engine, tmp_path)
    service.run(engine)
    with Session(engine) as session:
        finding = session.execute(select(Discrepancy).where(Discrepancy.lot_ref == "L2")).scalar_one()
        finding.status = "VIOLATION"
        session.add(finding)
        session.commit()
    service.run(engine)
    with Session(engine) as session:
        assert (
            session.execute(select(Discrepancy.status).where(Discrepancy.lot_ref == "L2")).scalar_one() == "VIOLATION"
        )


def test_a_failing_run_leaves_the_previous_findings_and_is_marked_failed(engine, tmp_path, monkeypatch):
    two_lots(engine, tmp_path)
    service.run(engine)

    def broken(_inputs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(partitions, "reconcile", broken)
    with pytest.raises(RuntimeError):
        service.run(engine)
    with Session(engine) as session:
        runs = session.execute(select(Run).order_by(Run.id)).scalars().all()
        assert [r.outcome for r in runs] == ["SUCCEEDED", "FAILED"] and runs[1].error == "RuntimeError: disk full"
        assert len(service.get_all(session)) == 2


def test_reconcile_and_export_from_the_command_line(engine, tmp_path):
    two_lots(engine, tmp_path)
    result = runner.invoke(app, ["reconcile"])
    assert result.exit_code == 0 and result.stdout.startswith(
        "run 1 (full, 2 lots): 2 discrepancies (2 new, 0 seen again"
    )
    result = runner.invoke(app, ["discrepancies", "export", "--format", "csv"])
    header, *rows = result.stdout.splitlines()
    assert header == (
        "id,kind,zone_code,operator_code,lot_ref,customs_ref,process_ref,strategic,control_codes,severity,"
        "risk_score,evidence,status,first_seen_run,last_seen_run,aeo,closed_run,close_reason"
    )
    assert len(rows) == 2 and all(",UNDECLARED_ADMISSION,ZFX,OP001," in row for row in rows)
    out = tmp_path / "d.json"
    assert runner.invoke(app, ["discrepancies", "export", "--format", "json", "--out", str(out)]).exit_code == 0
    records = json.loads(out.read_text())
    assert {r["lot_ref"] for r in records} == {"L1", "L2"} and all(r["strategic"] for r in records)
    assert records[0]["evidence"]["strategic"]["basis"] in ("CORRELATED", "DECLARED")


def test_a_zone_may_override_a_tolerance(engine, tmp_path, monkeypatch):
    from ftz.config import get_settings

    assert runner.invoke(app, ["zone", "add", "ZFX", "--name", "Z", "--country", "AE"]).exit_code == 0
    assert runner.invoke(app, ["operator", "add", "OP001", "--zone", "ZFX", "--name", "O"]).exit_code == 0
    item = {
        "declaration_ref": "D1", "item_no": "1", "direction": "ADMISSION", "lodged_at": "2026-09-01T07:00:00",
        "zone_code": "ZFX", "operator_code": "OP001", "lot_ref": "LOT1", "hs_code": "811292", "quantity": "1000.5",
        "unit": "KGM", "origin_country": "KR",
    }  # fmt: skip
    import_customs(engine, write_csv(tmp_path / "c.csv", [item]))
    import_movements(
        engine, write_csv(tmp_path / "m.csv", [admission(customs_ref="D1", occurred_at="2026-09-04T08:00:00")])
    )
    assert service.run(engine).counts == {}
    monkeypatch.setenv("FTZ_ZONES", '{"ZFX": {"recording_delay_days": 2}}')
    get_settings.cache_clear()
    assert service.run(engine).counts == {"LATE_RECORD": 1}


def split(path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A CSV cut in two halves, each with the header, as two uploads on two days."""
    header, *lines = path.read_text(encoding="utf-8-sig").splitlines()
    middle = len(lines) // 2
    first, second = tmp_path / f"1_{path.name}", tmp_path / f"2_{path.name}"
    first.write_text("\n".join([header, *lines[:middle]]) + "\n")
    second.write_text("\n".join([header, *lines[middle:]]) + "\n")
    return first, second


def open_findings(engine) -> set[tuple]:
    with Session(engine) as session:
        return {(d.fingerprint, d.kind, d.severity, d.risk_score, d.strategic) for d in service.get_all(session)}


def test_incremental_runs_find_what_a_full_run_finds(engine, tmp_path):
    folder = ROOT / "tests" / "fixtures" / "zone-sample"
    commands = [["zone", "add", "ZFX", "--name", "Z", "--country", "AE"]]
    commands += [["operator", "add", op, "--zone", "ZFX", "--name", op] for op in ("OP001", "OP002", "OP003")]
    for args in commands:
        assert runner.invoke(app, args).exit_code == 0
    customs = split(folder / "customs.csv", tmp_path)
    moves = {op: split(folder / f"movements_{op}.csv", tmp_path) for op in ("OP001", "OP002", "OP003")}
    assert import_customs(engine, customs[0]).accepted
    for op, halves in moves.items():
        assert import_movements(engine, halves[0], op).accepted
    assert service.run(engine).full
    assert import_customs(engine, customs[1]).accepted
    assert not service.run(engine).full
    for op, halves in moves.items():
        assert import_movements(engine, halves[1], op).accepted
    last = service.run(engine)
    assert not last.full and last.lots < 300
    incremental = open_findings(engine)
    assert len(incremental) == 36
    full = service.run(engine, full=True)
    assert (full.new, full.closed) == (0, 0) and open_findings(engine) == incremental
    assert last.counts == full.counts and sum(full.counts.values()) == 36  # counted whole, not the scope's


def test_reconcile_as_of_a_date_and_for_one_zone(engine, tmp_path):
    two_lots(engine, tmp_path)
    import_movements(
        engine,
        write_csv(tmp_path / "late.csv", [admission("M3", lot="L3", customs_ref="NOPE3", occurred_at="2026-09-20")]),
    )
    result = runner.invoke(app, ["reconcile", "--as-of", "2026-09-10", "--zone", "ZFX"])
    assert result.exit_code == 0 and "2 discrepancies would have been found then" in result.stdout
    with Session(engine) as session:
        run_record = session.execute(select(Run)).scalar_one()
    # a bare date is the end of that day in the zone's local time (Asia/Dubai, UTC+4)
    as_of = "2026-09-10 19:59:59.999999+00:00"
    assert (run_record.zone_code, run_record.full, str(run_record.as_of)) == ("ZFX", True, as_of)
    assert "3 discrepancies" in runner.invoke(app, ["reconcile"]).stdout
    bad = runner.invoke(app, ["reconcile", "--zone", "NOPE"])
    assert bad.exit_code == 1 and bad.stderr.startswith("ftz: zone NOPE is not registered")


def split_at(path: Path, tmp_path: Path, share: float, tag: str) -> tuple[Path, Path]:
    """A CSV cut where ``share`` of its rows are behind, as two uploads."""
    header, *lines = path.read_text(encoding="utf-8-sig").splitlines()
    cut = max(1, min(len(lines) - 1, int(len(lines) * share)))
    first, second = tmp_path / f"{tag}1_{path.name}", tmp_path / f"{tag}2_{path.name}"
    first.write_text("\n".join([header, *lines[:cut]]) + "\n")
    second.write_text("\n".join([header, *lines[cut:]]) + "\n")
    return first, second


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shares=st.lists(st.floats(min_value=0.05, max_value=0.95), min_size=4, max_size=4), order=st.permutations(range(4))
)
def test_incremental_equals_full_on_random_histories(engine, tmp_path_factory, shares, order):
    tmp_path = tmp_path_factory.mktemp("history")
    from tests.conftest import _empty

    _empty(engine)
    folder = ROOT / "tests" / "fixtures" / "zone-sample"
    commands = [["zone", "add", "ZFX", "--name", "Z", "--country", "AE"]]
    commands += [["operator", "add", op, "--zone", "ZFX", "--name", op] for op in ("OP001", "OP002", "OP003")]
    for args in commands:
        assert runner.invoke(app, args).exit_code == 0
    files = ["customs.csv", "movements_OP001.csv", "movements_OP002.csv", "movements_OP003.csv"]
    halves = [
        split_at(folder / name, tmp_path, share, str(n))
        for n, (name, share) in enumerate(zip(files, shares, strict=True))
    ]
    # first halves in a random order with a run after each, then the second halves likewise
    for part in (0, 1):
        for n in order:
            path = halves[n][part]
            if n == 0:
                assert import_customs(engine, path).accepted
            else:
                assert import_movements(engine, path, files[n].removeprefix("movements_").removesuffix(".csv")).accepted
            last = service.run(engine)
    incremental = open_findings(engine)
    full = service.run(engine, full=True)
    assert (full.new, full.closed) == (0, 0) and open_findings(engine) == incremental
    assert last.counts == full.counts  # an incremental run counts what it leaves open, as a full run
