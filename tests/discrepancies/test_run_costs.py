"""What keeps a run's fixed costs down must not change what it finds: many lots changed at once,
findings seen again with the same facts or with others."""

import gc

from sqlmodel import Session, select
from typer.testing import CliRunner

from ftz.cli.main import app
from ftz.discrepancies import partitions, service
from ftz.discrepancies.models import Discrepancy
from tests.helpers import admission, import_movements, removal, write_csv

runner = CliRunner()
LOTS = 1_100  # more than one lookup of the scope's closure takes on PostgreSQL


def zone() -> None:
    assert runner.invoke(app, ["zone", "add", "ZFX", "--name", "Z", "--country", "AE"]).exit_code == 0
    assert runner.invoke(app, ["operator", "add", "OP001", "--zone", "ZFX", "--name", "O"]).exit_code == 0


def open_findings(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.execute(select(Discrepancy).where(Discrepancy.status == "OPEN")).scalars()
        return sorted((d.fingerprint, d.kind, d.lot_ref, d.customs_ref, d.risk_score, repr(d.evidence)) for d in rows)


def test_an_incremental_run_over_many_lots_recomputes_every_tied_lot_and_finds_what_a_full_run_finds(engine, tmp_path):
    zone()
    # lots two by two under one declaration: a change to one lot reaches the other
    rows = [admission(f"A{i}", lot=f"L{i:04d}", customs_ref=f"D{i // 2}") for i in range(LOTS)]
    assert import_movements(engine, write_csv(tmp_path / "admissions.csv", rows)).accepted
    assert service.run(engine).full
    changed = [removal(f"R{i}", lot=f"L{i:04d}", customs_ref=f"X{i}", quantity="1") for i in range(0, LOTS, 2)]
    assert import_movements(engine, write_csv(tmp_path / "removals.csv", changed)).accepted
    incremental = service.run(engine)
    assert not incremental.full and incremental.lots == LOTS
    assert incremental.new == len(changed) and incremental.closed == 0
    found = open_findings(engine)
    full = service.run(engine, full=True)
    assert (full.new, full.closed) == (0, 0) and open_findings(engine) == found


def test_a_finding_seen_again_is_refreshed_only_where_its_facts_changed(engine, tmp_path):
    zone()
    rows = [admission("M1", lot="L1", customs_ref="NOPE1"), admission("M2", lot="L2", customs_ref="NOPE2")]
    assert import_movements(engine, write_csv(tmp_path / "m.csv", rows)).accepted
    first = service.run(engine)
    with Session(engine) as session:
        before = {d.lot_ref: (d.updated_at, d.evidence) for d in session.execute(select(Discrepancy)).scalars()}
    # L1 is admitted a second time under the same undeclared reference: its finding's quantity changes
    more = admission("M1b", lot="L1", customs_ref="NOPE1", quantity="10")
    assert import_movements(engine, write_csv(tmp_path / "more.csv", [more])).accepted
    second = service.run(engine)
    assert (second.new, second.seen_again, second.closed) == (0, 2, 0)
    with Session(engine) as session:
        after = {d.lot_ref: d for d in session.execute(select(Discrepancy)).scalars()}
    assert after["L2"].updated_at == before["L2"][0] and after["L2"].evidence == before["L2"][1]
    assert after["L1"].evidence != before["L1"][1] and after["L1"].updated_at > before["L1"][0]
    assert {d.last_seen_run for d in after.values()} == {second.id} and first.id != second.id


def test_a_run_keeps_the_collector_off_what_was_alive_before_it_and_hands_it_back(engine, tmp_path, monkeypatch):
    zone()
    assert import_movements(engine, write_csv(tmp_path / "m.csv", [admission("M1", lot="L1")])).accepted
    during = []
    reconciled = partitions.reconciled
    monkeypatch.setattr(
        partitions, "reconciled", lambda *a, **k: during.append(gc.get_freeze_count()) or reconciled(*a, **k)
    )
    service.run(engine)
    # frozen while the run works; nothing left frozen after it (a server's cycles are collected again)
    assert during and during[0] > 0 and gc.get_freeze_count() == 0
    kept = ["a server's object"]
    gc.freeze()  # a server that froze its heap before forking keeps it so
    try:
        service.run(engine, full=True)
        assert gc.get_freeze_count() > 0 and all(o is not kept for o in gc.get_objects())  # still frozen
    finally:
        gc.unfreeze()
