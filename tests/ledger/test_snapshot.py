"""The ledger's copy for full runs: it gives the frames the database gives, takes in only the
uploads received since, and is made again when it, or the database under it, changed."""

import json
import os

import pandas.testing as pdt
import pytest
from sqlalchemy import text

from ftz.config import get_settings
from ftz.discrepancies import partitions, service
from ftz.ledger import service as ledger
from ftz.ledger import snapshot
from ftz.ledger.service import customs_frame, ledger_copy, movements_frame
from reconciliation.groups import groups
from tests.helpers import admission, customs_item, import_customs, import_movements, removal, write_csv

EVERY = (1, 2, 3)  # the operators of zone_with_operators


def stored(engine, tmp_path) -> None:
    rows = [admission(), removal(description="steel plate", counterparty=""), admission("M3", lot="LOT2")]
    assert import_movements(engine, write_csv(tmp_path / "m.csv", rows)).accepted
    theirs = [admission("M7", lot="LOT7")]
    assert import_movements(engine, write_csv(tmp_path / "o.csv", theirs), "OP002").accepted
    items = [customs_item(), customs_item("26AE0002", direction="REMOVAL", destination_country="DE"),
             customs_item("26AE0002", version="2", direction="REMOVAL", destination_country="FR")]  # fmt: skip
    assert import_customs(engine, write_csv(tmp_path / "c.csv", items)).accepted


def marker(engine) -> dict:
    """The uploads a run starting now would see."""
    return service._visible(engine)["uploads"]


def copied(engine) -> snapshot.Snapshot:
    """A copy of the uploads a run starting now sees, one operator per chunk."""
    return ledger_copy(engine, uploads=marker(engine), chunks=[(o,) for o in EVERY])


def assert_same_frames(engine, copy: snapshot.Snapshot) -> None:
    uploads = marker(engine)
    for operators in ((1,), (2, 3), EVERY):
        moves = movements_frame(engine, operators=operators, uploads=uploads)
        pdt.assert_frame_equal(movements_frame(engine, operators=operators, uploads=uploads, copy=copy), moves)
        for current_only in (False, True):
            entries = customs_frame(engine, operators=operators, uploads=uploads, current_only=current_only)
            pdt.assert_frame_equal(
                customs_frame(engine, operators=operators, uploads=uploads, current_only=current_only, copy=copy),
                entries,
            )


def test_a_copy_gives_the_frames_the_database_gives(zone_with_operators, tmp_path):
    stored(zone_with_operators, tmp_path)
    copy = copied(zone_with_operators)
    assert len(movements_frame(zone_with_operators, operators=(1,), copy=copy)) == 3
    assert_same_frames(zone_with_operators, copy)


def test_the_next_copy_reads_from_the_database_only_the_uploads_received_since(
    zone_with_operators, tmp_path, monkeypatch
):
    stored(zone_with_operators, tmp_path)
    first = copied(zone_with_operators)
    later = import_movements(zone_with_operators, write_csv(tmp_path / "n.csv", [admission("M9", lot="LOT9")]))
    queries = []
    read = ledger.arrow.read_table
    monkeypatch.setattr(ledger.arrow, "read_table", lambda e, q, **kw: queries.append(q) or read(e, q, **kw))
    second = copied(zone_with_operators)
    ledger_reads = [q for q in queries if "FROM movement" in q or "FROM customs_entry" in q]
    assert ledger_reads and all(f"upload_id IN ({later.upload_id})" in q for q in ledger_reads)
    assert second.uploads == first.uploads | {later.upload_id}
    monkeypatch.undo()
    assert_same_frames(zone_with_operators, second)
    files = {p.name for p in snapshot.folder(zone_with_operators).iterdir()}
    assert files == {"snapshot.json"} | {second.path(t).name for t in snapshot.TABLES}  # the first copy's gone


def test_a_copy_that_holds_the_uploads_already_is_kept_as_it_is(zone_with_operators, tmp_path):
    stored(zone_with_operators, tmp_path)
    first = copied(zone_with_operators)
    written = first.path("movement").stat().st_mtime_ns
    assert copied(zone_with_operators) == first
    assert first.path("movement").stat().st_mtime_ns == written


def test_a_copy_changed_on_disk_is_refused_and_made_again(zone_with_operators, tmp_path, caplog):
    stored(zone_with_operators, tmp_path)
    copy = copied(zone_with_operators)
    path = copy.path("movement")
    data = bytearray(path.read_bytes())
    at = data.find(b"steel plate")
    data[at : at + 5] = b"STEEL"  # same size: only the digest can tell
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="differs from what was written"):
        snapshot.rows(copy, "movement", (1,))
    again = copied(zone_with_operators)
    assert "was changed or lost since it was written" in caplog.text
    assert b"steel plate" in again.path("movement").read_bytes()
    assert_same_frames(zone_with_operators, again)


def test_a_copy_rewritten_with_its_times_set_back_is_still_refused(zone_with_operators, tmp_path):
    stored(zone_with_operators, tmp_path)
    copy = copied(zone_with_operators)
    path = copy.path("movement")
    assert snapshot.rows(copy, "movement", (1,)).num_rows == 3  # checked once in this process
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"steel plate", b"STEEL plate"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # size and time as they were
    with pytest.raises(RuntimeError, match="differs from what was written"):
        snapshot.rows(copy, "movement", (1,))


def use_audit_key(monkeypatch, secret: str, *, before: str | None = None) -> None:
    """This process signs with ``secret`` (and still checks what ``before`` signed)."""
    monkeypatch.setenv("FTZ_AUDIT_KEY", secret)
    monkeypatch.setenv("FTZ_AUDIT_KEYS", json.dumps([before] if before else []))
    get_settings.cache_clear()


def test_a_process_without_the_key_of_the_copy_reads_the_database_instead(zone_with_operators, tmp_path, monkeypatch):
    stored(zone_with_operators, tmp_path)
    copy = copied(zone_with_operators)
    use_audit_key(monkeypatch, "a Dask worker started with another key " * 2)  # another machine's worker
    assert snapshot.rows(copy, "movement", (1,)) is None
    assert len(movements_frame(zone_with_operators, operators=(1,), uploads=marker(zone_with_operators),
                               copy=copy)) == 3  # fmt: skip


def test_a_copy_made_before_the_audit_key_was_replaced_is_read_with_the_key_before(
    zone_with_operators, tmp_path, monkeypatch
):
    stored(zone_with_operators, tmp_path)
    use_audit_key(monkeypatch, "the key the copy was made with, long enough")
    first = copied(zone_with_operators)
    snapshot._verified.clear()  # a new process: it checks every file again
    use_audit_key(
        monkeypatch, "the key that replaced it, also long enough", before="the key the copy was made with, long enough"
    )
    assert copied(zone_with_operators) == first  # kept, not made again
    assert snapshot.rows(first, "movement", (1,)).num_rows == 3
    assert_same_frames(zone_with_operators, first)


def test_a_description_not_signed_with_the_key_is_refused(zone_with_operators, tmp_path):
    stored(zone_with_operators, tmp_path)
    copied(zone_with_operators)
    path = snapshot.folder(zone_with_operators) / "snapshot.json"
    described = json.loads(path.read_text())
    described["body"]["batches"]["movement"]["1"] = [0, 0]  # rows read twice
    path.write_text(json.dumps(described))
    assert (
        snapshot.load(zone_with_operators, snapshot.fingerprints(zone_with_operators, marker(zone_with_operators)))
        is None
    )


def test_a_copy_whose_uploads_the_database_holds_no_more_is_not_used(zone_with_operators, tmp_path):
    stored(zone_with_operators, tmp_path)
    copy = copied(zone_with_operators)
    wanted = snapshot.fingerprints(zone_with_operators, marker(zone_with_operators))
    assert snapshot.load(zone_with_operators, wanted) == copy
    replaced = {i: f"other|{fingerprint}" for i, fingerprint in wanted.items()}  # a database restored under it
    assert snapshot.load(zone_with_operators, replaced) is None


def test_a_copy_stopped_midway_leaves_the_one_before_and_no_draft(zone_with_operators, tmp_path, monkeypatch):
    stored(zone_with_operators, tmp_path)
    first = copied(zone_with_operators)
    wanted = snapshot.fingerprints(zone_with_operators, marker(zone_with_operators))
    assert import_movements(zone_with_operators, write_csv(tmp_path / "n.csv", [admission("M9", lot="LOT9")])).accepted
    calls = []

    def failing(*args):
        calls.append(args)
        if len(calls) > 2:
            raise OSError("disk full")
        return read(*args)

    read = ledger._rows
    monkeypatch.setattr(ledger, "_rows", failing)
    with pytest.raises(OSError, match="disk full"):
        copied(zone_with_operators)
    assert snapshot.load(zone_with_operators, wanted) == first
    assert not [p for p in snapshot.folder(zone_with_operators).iterdir() if p.name.startswith(".")]


def test_drafts_a_killed_writer_left_are_removed_by_the_next_copy_once_stale(zone_with_operators, tmp_path):
    stored(zone_with_operators, tmp_path)
    copied(zone_with_operators)
    where = snapshot.folder(zone_with_operators)
    killed, fresh = where / ".0123456789abcdef.movement.arrow.part", where / ".fedcba9876543210.movement.arrow.part"
    killed.write_bytes(b"half a copy")
    fresh.write_bytes(b"another writer, now")
    hours_ago = killed.stat().st_mtime - 2 * 3600
    os.utime(killed, (hours_ago, hours_ago))
    assert import_movements(zone_with_operators, write_csv(tmp_path / "n.csv", [admission("M9", lot="LOT9")])).accepted
    copied(zone_with_operators)
    assert not killed.exists() and fresh.exists()


def test_a_full_run_keeps_a_copy_past_the_threshold_and_none_below(zone_with_operators, tmp_path, monkeypatch):
    stored(zone_with_operators, tmp_path)
    service.run(zone_with_operators, full=True)
    assert not snapshot.folder(zone_with_operators).exists()  # 8 rows, under the default threshold
    monkeypatch.setenv("FTZ_SNAPSHOT_ROWS", "0")
    from ftz.config import get_settings

    get_settings.cache_clear()
    service.run(zone_with_operators, full=True)
    copy = snapshot.load(zone_with_operators, snapshot.fingerprints(zone_with_operators, marker(zone_with_operators)))
    assert copy is not None and len(copy.uploads) == 3


def test_a_run_sizes_its_partitions_from_the_copy_and_the_uploads_since_as_the_database_counts_them(
    zone_with_operators, tmp_path
):
    stored(zone_with_operators, tmp_path)
    copied(zone_with_operators)
    later = [admission("M8", lot="LOT8"), admission("M9", lot="LOT9")]
    assert import_movements(zone_with_operators, write_csv(tmp_path / "n.csv", later), "OP002").accepted
    with zone_with_operators.connect() as conn:
        counted = {o: 0 for o in EVERY}
        for table in snapshot.TABLES:
            for operator_id, rows in conn.execute(text(f"SELECT operator_id, count(*) FROM {table} GROUP BY 1")):
                counted[operator_id] += rows
    kept = ledger.kept_copy(zone_with_operators, uploads=marker(zone_with_operators))
    assert kept is not None and kept[1]  # a copy, and an upload it lacks
    assert partitions._sizes(zone_with_operators, None, kept) == counted
    sized = partitions.plan(zone_with_operators, uploads=marker(zone_with_operators), limit=4)
    assert sized == partitions.plan(zone_with_operators, limit=4)


def test_a_run_groups_operators_by_the_ties_its_copy_keeps_and_those_of_the_uploads_since(
    zone_with_operators, tmp_path
):
    stored(zone_with_operators, tmp_path)
    ties = partitions._ties(zone_with_operators)
    copy = ledger_copy(zone_with_operators, uploads=marker(zone_with_operators), chunks=[EVERY], ties=ties)
    assert copy.ties == ties
    kept = ledger.kept_copy(zone_with_operators, uploads=marker(zone_with_operators))
    assert groups(EVERY, partitions._ties(zone_with_operators, kept)) == [[1], [2], [3]]  # nothing ties them yet
    # OP003's item joins a declaration of OP001's already copied; OP002's cites OP001's new licence
    later = [customs_item("26AE0001", "2", operator_code="OP003", lot_ref="LOT3"),
             customs_item("26AE0005", operator_code="OP002", lot_ref="LOT5", licence_ref="LIC-1"),
             customs_item("26AE0006", operator_code="OP001", lot_ref="LOT6", licence_ref="LIC-1")]  # fmt: skip
    assert import_customs(zone_with_operators, write_csv(tmp_path / "d.csv", later)).accepted
    kept = ledger.kept_copy(zone_with_operators, uploads=marker(zone_with_operators))
    assert kept is not None and kept[0] == copy and kept[1]
    assert groups(EVERY, partitions._ties(zone_with_operators, kept)) == [[1, 2, 3]]
    assert groups(EVERY, partitions._ties(zone_with_operators)) == [[1, 2, 3]]  # as the database alone ties them
