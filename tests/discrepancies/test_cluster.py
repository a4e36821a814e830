"""The same findings whatever the path: one process, partitions of any size, a two-worker Dask
cluster, the ledger read from the database or from its copy. Each run's findings are exported
(`ftz reconcile --as-of … --out`) and compared field by field."""

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session

from ftz.cli.main import app
from ftz.config import get_settings
from ftz.database import get_engine
from ftz.discrepancies import partitions, service
from ftz.discrepancies.inputs import context, read_inputs
from ftz.ledger import snapshot
from ftz.migrations import upgrade
from tests.discrepancies import test_transfer_runs as two_zones
from tests.discrepancies.test_runs import load_zone, runner
from tests.helpers import admission, customs_item, import_customs, import_movements, write_csv

FIXTURES = Path(__file__).parents[1] / "fixtures"
DEMO = Path(__file__).parents[2] / "fixtures" / "demo"
MOMENT = "2026-12-01T00:00:00+00:00"  # after every record of the samples


def exported(tmp_path: Path, name: str, *args: str) -> list[dict]:
    """A report run as of ``MOMENT``, exported to CSV, read back in a stable order."""
    path = tmp_path / f"{name}.csv"
    result = runner.invoke(app, ["reconcile", "--as-of", MOMENT, "--out", str(path), *args])
    assert result.exit_code == 0, result.output
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return sorted(rows, key=lambda r: tuple(r.values()))


def assert_same_whatever_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """One partition in this process against one partition per operator group on two workers."""
    single = exported(tmp_path, "single")
    monkeypatch.setenv("FTZ_PARTITION_ROWS", "1")  # every group of operators a partition of its own
    get_settings.cache_clear()
    spread = exported(tmp_path, "spread", "--workers", "2")
    assert len(single) == len(spread) > 0
    for one, other in zip(single, spread, strict=True):
        assert one == other  # every field of the export
    monkeypatch.setenv("FTZ_SNAPSHOT_ROWS", "0")  # the ledger's copy: made by one run, read by the next
    get_settings.cache_clear()
    assert exported(tmp_path, "copying") == single
    assert (snapshot.folder(get_engine()) / "snapshot.json").exists()  # the next run reads the copy
    assert exported(tmp_path, "copied", "--workers", "2") == single
    return single


def load_two_zones(engine) -> None:
    """The two-zone sample with every register: licences, holds, the parties list, the profiles."""
    two_zones.load(engine)
    folder = two_zones.FOLDER
    for args in (
        ["import", "licences", str(folder / "licences.csv")],
        ["reference", "load", "parties", str(folder / "parties.csv"), "--source", "sample"],
        ["profile", "load", str(folder / "profiles.yaml")],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output


def test_two_workers_find_what_one_process_finds_in_the_two_zone_sample(engine, tmp_path, monkeypatch):
    load_two_zones(engine)
    found = assert_same_whatever_the_path(tmp_path, monkeypatch)
    kinds = {r["kind"] for r in found}
    assert {"TRANSFER_NOT_ARRIVED", "DENIED_PARTY", "RISK_PROFILE_HIT", "UNLICENSED_STRATEGIC_REMOVAL"} <= kinds


def test_two_workers_find_what_one_process_finds_in_the_one_zone_sample(engine, tmp_path, monkeypatch):
    load_zone(engine, FIXTURES / "zone-sample", "ZFX", ["OP001", "OP002", "OP003"])
    assert_same_whatever_the_path(tmp_path, monkeypatch)


def test_two_workers_find_what_one_process_finds_in_the_demo(engine, tmp_path, monkeypatch):
    load_zone(engine, DEMO, "ZDM", ["OP101", "OP102", "OP103", "OP104"])
    parties_list = ["reference", "load", "parties", str(DEMO.parent / "reference" / "parties-un-sc-demo.xml"),
                    "--source", "demonstration extract"]  # fmt: skip
    assert runner.invoke(app, parties_list).exit_code == 0  # as `make demo` loads it
    assert runner.invoke(app, ["profile", "load", str(DEMO / "profiles.yaml")]).exit_code == 0
    assert runner.invoke(app, ["zone", "add", "ZDY", "--name", "Y", "--country", "OM"]).exit_code == 0
    assert runner.invoke(app, ["operator", "add", "OP201", "--zone", "ZDY", "--name", "Y"]).exit_code == 0
    assert import_customs(engine, DEMO / "second-zone" / "customs.csv").accepted
    for code in ("OP201", "OP102"):
        assert import_movements(engine, DEMO / "second-zone" / f"movements_{code}.csv", code).accepted
    found = assert_same_whatever_the_path(tmp_path, monkeypatch)
    assert {"TRANSFER_NOT_ARRIVED", "RISK_PROFILE_HIT", "DENIED_PARTY"} <= {r["kind"] for r in found}


def current(tmp_path: Path, name: str) -> list[dict]:
    """The live findings exported to CSV (ids, status, runs and all), by id."""
    path = tmp_path / f"{name}.csv"
    result = runner.invoke(app, ["discrepancies", "export", "--all", "--out", str(path)])
    assert result.exit_code == 0, result.output
    with path.open(newline="") as f:
        return sorted(csv.DictReader(f), key=lambda r: int(r["id"]))


def test_findings_written_from_two_workers_are_those_one_process_then_finds_again(engine, tmp_path, monkeypatch):
    load_two_zones(engine)
    monkeypatch.setenv("FTZ_PARTITION_ROWS", "1")
    get_settings.cache_clear()
    assert runner.invoke(app, ["reconcile", "--full", "--workers", "2"]).exit_code == 0
    spread = current(tmp_path, "spread")
    monkeypatch.delenv("FTZ_PARTITION_ROWS")
    get_settings.cache_clear()
    assert runner.invoke(app, ["reconcile", "--full"]).exit_code == 0
    with Session(engine) as session:
        second, first = service.get_all_runs(session, limit=2)
    assert (second.new, second.closed, second.seen_again) == (0, 0, first.new) and first.new > 0
    single = current(tmp_path, "single")
    assert len(single) == len(spread) == first.new
    for before, after in zip(spread, single, strict=True):
        assert after.pop("last_seen_run") == str(second.id) and before.pop("last_seen_run") == str(first.id)
        assert before == after  # same id, status, first run and every other field


def test_operators_tied_by_a_transfer_share_a_partition_and_the_others_are_packed_apart(engine):
    two_zones.load(engine)
    parts = partitions.plan(engine, limit=1)
    operators = [o for p in parts for o in p.operators]
    assert sorted(operators) == sorted(set(operators)) and len(operators) == 8  # each operator exactly once
    codes = dict(zip(range(1, 9), two_zones.OPERATORS["operator_code"], strict=True))
    together = [{codes[o] for o in p.operators} for p in parts if len(p.operators) > 1]
    # every admission naming a transfer ties its operator to the sender's (two_zones' README)
    assert together and all(len(group) >= 2 for group in together)
    assert len(partitions.plan(engine, limit=10**9)) == 1  # a bound past the ledger: one partition


def test_operators_named_by_the_items_of_one_declaration_share_a_partition(zone_with_operators, tmp_path):
    items = [customs_item("26AE0009", "1"), customs_item("26AE0009", "2", operator_code="OP002", lot_ref="LOT2"),
             customs_item("26AE0010", "1", operator_code="OP003", lot_ref="LOT3")]  # fmt: skip
    assert import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", items)).accepted
    parts = partitions.plan(zone_with_operators, limit=1)
    assert sorted(p.operators for p in parts) == [(1, 2), (3,)]


def test_every_partition_reads_the_ledger_as_the_run_saw_it_when_it_started(zone_with_operators, tmp_path):
    assert import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission()])).accepted
    ctx = context(zone_with_operators, seen=service._visible(zone_with_operators))
    assert import_movements(zone_with_operators, write_csv(tmp_path / "b.csv", [admission("M9", lot="LOT9")])).accepted
    read = read_inputs(zone_with_operators, operators=(1,), ctx=ctx)
    assert list(read.movements["movement_ref"]) == ["M1"]  # the later upload waits for the next run
    assert len(read_inputs(zone_with_operators, operators=(1,), ctx=context(zone_with_operators)).movements) == 2


def test_a_worker_whose_database_does_not_hold_the_coordinators_ledger_refuses_its_partition(
    zone_with_operators, tmp_path, monkeypatch
):
    assert import_movements(zone_with_operators, write_csv(tmp_path / "a.csv", [admission()])).accepted
    ctx = context(zone_with_operators, seen=service._visible(zone_with_operators))
    ctx = replace(ctx, ledger=partitions.ledger_identity(zone_with_operators, ctx))  # as the coordinator sends it
    assert partitions.on_worker(ctx, (1,))[1] == 1  # the coordinator's database: its lot reconciled
    other = f"sqlite:///{tmp_path / 'staging.db'}"  # say, a staging copy
    upgrade(get_engine(other))
    monkeypatch.setenv("FTZ_DATABASE_URL", other)
    get_settings.cache_clear()
    with pytest.raises(partitions.WorkerMisconfigured, match="does not hold the coordinator's ledger"):
        partitions.on_worker(ctx, (1,))


def test_a_worker_started_without_a_database_url_refuses_its_partition(zone_with_operators, monkeypatch):
    ctx = context(zone_with_operators, seen=service._visible(zone_with_operators))
    monkeypatch.delenv("FTZ_DATABASE_URL")
    get_settings.cache_clear()
    with pytest.raises(partitions.WorkerMisconfigured, match="has no FTZ_DATABASE_URL"):
        partitions.on_worker(ctx, (1,))
