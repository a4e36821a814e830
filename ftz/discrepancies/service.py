"""Running a reconciliation and keeping its findings; reading and exporting them."""

import gc
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, select, text, update
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.config import get_settings
from ftz.database import utcnow
from ftz.discrepancies import findings, partitions, registers
from ftz.discrepancies.inputs import Context, context, read_inputs
from ftz.discrepancies.lock import LockLost, RunInProgress, RunLock, worker
from ftz.discrepancies.models import Discrepancy, Run, RunOutcome, Status
from ftz.errors import Conflict, FtzError
from ftz.ledger import transfers
from ftz.ledger.scope import changed, of_goods
from ftz.logs import run_context
from ftz.parties import service as parties
from ftz.profiles import service as profiles
from ftz.reference import service as reference
from ftz.reference.models import ListKind
from ftz.zones import service as zones
from reconciliation.engine import SOURCES
from reconciliation.kinds import of_sources

log = logging.getLogger("ftz.runs")
# What a run's marker records, so that the next run reads again what it did not see.
_MARKED = (("uploads", "upload"), ("counts", "stock_count"))


@dataclass
class Started:
    """A run recorded as RUNNING, and the run lock it holds until ``execute`` has finished it."""

    run: Run
    lock: RunLock
    workers: int = 0  # a full run's partitions on a local Dask cluster of this many processes


class TimedOut(FtzError):
    """A run went past its time limit and was stopped."""


class AlreadyRun(Conflict):
    """The scheduled night asked for was run already (by this or another scheduler)."""


def run(
    engine: Engine,
    *,
    as_of: datetime | str | None = None,
    zone_code: str | None = None,
    full: bool = False,
    started_by: str = "system",
    wait: float = 0,
    scheduled_for: datetime | None = None,
    workers: int = 0,
) -> Run:
    """Reconcile (a zone, or all) as of a moment, and record the findings in one transaction.

    Incremental unless ``full``: after a successful run of the same scope and settings,
    only the lots (and declarations) touched since, and all that a finding ties to them, are
    recomputed. A run of every lot goes partition by partition, on a local Dask cluster of
    ``workers`` processes if given. Waits up to ``wait`` seconds for a run in progress, then
    raises ``RunInProgress``."""
    started = start(
        engine, as_of=as_of, zone_code=zone_code, full=full, started_by=started_by, wait=wait,
        scheduled_for=scheduled_for,
    )  # fmt: skip
    started.workers = workers
    return execute(engine, started)


def start(
    engine: Engine,
    *,
    as_of: datetime | str | None = None,
    zone_code: str | None = None,
    full: bool = False,
    started_by: str = "system",
    wait: float = 0,
    scheduled_for: datetime | None = None,
) -> Started:
    """Take the run lock, mark the runs whose process died, and record this run as RUNNING
    (visible while it works); ``execute`` does the work and gives the lock back."""
    zone_code = zone_code.strip().upper() if zone_code else None
    zone_id = _zone_id(engine, zone_code)
    if isinstance(as_of, str):  # as a person typed it: the zone's local time, a bare date its end
        with Session(engine) as session:
            as_of = zones.moment(session, value=as_of, zone_codes=[zone_code] if zone_code else None)
    lock = RunLock(engine).acquire(wait=wait)
    try:
        abandon(engine)  # we hold the lock: a run still RUNNING has lost its process
        versions = {kind.value: reference.version_in_force(engine, kind) for kind in ListKind}
        with Session(engine, expire_on_commit=False) as session:
            if scheduled_for is not None:
                _refuse_if_run(session, zone_code, scheduled_for)
            record = Run(
                as_of=as_of, zone_code=zone_code, full=full or as_of is not None, reference_versions=versions,
                started_by=started_by, scheduled_for=scheduled_for, worker=worker(),
            )  # fmt: skip
            session.add(record)
            session.flush()
            details = {"as_of": as_of, "full": full, "scheduled_for": scheduled_for}
            audit.record(session, actor=started_by, action="run.started", subject=f"run:{record.id}", zone_id=zone_id,
                         details=details)  # fmt: skip
            session.commit()
    except BaseException:
        lock.release()
        raise
    return Started(record, lock)


def execute(engine: Engine, started: Started) -> Run:
    """Do the work of a started run, then give the lock back. On an error or past the time
    limit the run is marked FAILED or TIMED_OUT and the findings stay as they were."""
    record, lock = started.run, started.lock
    with run_context(record.id), _collector_spared():
        try:
            log.info("run started by %s: zone %s, %s", record.started_by, record.zone_code or "(all)",
                     "full" if record.full else "incremental if possible")  # fmt: skip
            zone_id = _zone_id(engine, record.zone_code)
            previous = None if record.full else _previous(engine, record.zone_code)
            if previous is not None and _rescreen(previous, record.reference_versions):
                previous = None  # a new parties list re-screens every stored name
            record.full = previous is None
            record.seen = _visible(engine)  # before reading: what commits meanwhile is read again next time
            scope = _changed_scope(engine, previous, record.reference_versions) if previous is not None else None
            ctx = context(engine, as_of=record.as_of, zone_id=zone_id, seen=record.seen)
            if scope is None:  # every lot: partition by partition, here or on a Dask cluster
                found, record.lots = partitions.reconcile_all(engine, ctx, workers=started.workers,
                                                              check=lambda: _check(record, lock))  # fmt: skip
            else:
                found, record.lots = _reconcile_scope(engine, ctx, scope, lambda: _check(record, lock))
            _check(record, lock)
            if record.as_of is None:  # worked out before the write, which alone holds SQLite's write lock
                with Session(engine) as reading:
                    changes = findings.plan(reading, record, found, zone_id, scope, engine=engine,
                                            kinds=of_sources(SOURCES))  # fmt: skip
            _check(record, lock)
            # On PostgreSQL the findings are written on the lock's own connection: they commit
            # only while the lock is held. On SQLite the lease is confirmed inside the transaction.
            with Session(lock.connection() or engine, expire_on_commit=False) as session:
                _limit_statements(session, record)
                lock.confirm(session.connection())
                if record.as_of is not None:  # a report of what would have been found then
                    findings.write_report(session, record, found, engine=engine)
                else:
                    findings.apply(session, record, changes)
                record.finished_at = utcnow()
                _set_outcome(session, record, RunOutcome.SUCCEEDED)
                audit.record(session, actor="system", action="run.succeeded", subject=f"run:{record.id}",
                             zone_id=zone_id, details={"new": record.new, "closed": record.closed})  # fmt: skip
                session.commit()
            log.info("run succeeded in %.1f s: %s findings (%s new, %s seen again, %s closed)",
                     _seconds(record), f"{len(found):,}", record.new, record.seen_again, record.closed)  # fmt: skip
        except Exception as exc:
            timed_out = _timed_out(exc)
            error = _limit_reason(record) if timed_out else f"{type(exc).__name__}: {exc}"[:2000]
            log.error("run %s after %.1f s: %s", "TIMED_OUT" if timed_out else "FAILED", _seconds(record), error,
                      exc_info=not timed_out)  # fmt: skip
            try:
                _finish(engine, record, RunOutcome.TIMED_OUT if timed_out else RunOutcome.FAILED, error)
            except Exception:
                log.exception("the run's outcome could not be recorded; the next run marks it ABANDONED")
            if timed_out and not isinstance(exc, TimedOut):
                raise TimedOut(error) from exc  # a statement PostgreSQL cancelled at the limit
            raise
        finally:
            lock.release()
    return record


@contextmanager
def _collector_spared() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off the objects alive when a run starts (the
    libraries' modules, classes and caches) until it ends: its full collections walked them
    all, over a quarter of an incremental run of 1 % of a 1M ledger. A heap another part of
    the process froze (a server before it forks workers) is left as it is."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()  # what was alive then is collected again as usual: no cycle kept past the run


def _reconcile_scope(engine: Engine, ctx: Context, scope: tuple, check) -> tuple[pd.DataFrame, int]:
    """The findings of an incremental run's scope of lots and declarations, and how many lots it read."""
    inputs = read_inputs(engine, scope=scope, ctx=ctx)
    log.info("read %d movements and %d customs items, incremental", len(inputs.movements), len(inputs.entries))
    return partitions.reconciled(inputs, ctx, check)


def execute_in_background(engine: Engine, started: Started) -> None:
    """``execute`` for a background task: a failure is on the run (FAILED, with its error) and in the log."""
    with suppress(Exception):  # execute has logged it, with the run id, and recorded it on the run
        execute(engine, started)


def _set_outcome(session: Session, record: Run, outcome: RunOutcome) -> None:
    """Write the run's figures and outcome, if it is still RUNNING: a run another process
    found abandoned (its lock lost) does not come back to life."""
    values = {
        "outcome": outcome, "finished_at": record.finished_at, "full": record.full, "seen": record.seen,
        "lots": record.lots, "new": record.new, "seen_again": record.seen_again, "closed": record.closed,
        "counts": record.counts,
    }  # fmt: skip
    done = session.execute(
        update(Run).where(Run.id == record.id, Run.outcome == RunOutcome.RUNNING).values(**values)
    ).rowcount
    if done != 1:
        raise LockLost(f"run {record.id} was marked ended by another process meanwhile: its findings are not written")
    record.outcome = outcome


def abandon(engine: Engine) -> list[int]:
    """Mark every RUNNING run ABANDONED. Only for a holder of the run lock: then no run is working."""
    now = utcnow()
    reason = "its process ended before it finished (killed, crashed or lost power); the findings are as before it"
    with Session(engine) as session:
        ids = list(session.execute(select(Run.id).where(Run.outcome == RunOutcome.RUNNING)).scalars())
        if not ids:
            return []
        session.execute(
            update(Run).where(Run.id.in_(ids)).values(outcome=RunOutcome.ABANDONED, finished_at=now, error=reason)
        )
        for run_id in ids:
            audit.record(session, actor="system", action="run.abandoned", subject=f"run:{run_id}",
                         details={"reason": reason})  # fmt: skip
        session.commit()
    for run_id in ids:
        with run_context(run_id):
            log.warning("run %s marked ABANDONED: %s", run_id, reason)
    return ids


def mark_abandoned(engine: Engine) -> list[int]:
    """At a process's start: mark the runs whose process died, unless a run is working now."""
    try:
        lock = RunLock(engine).acquire()
    except RunInProgress:
        return []
    with lock:
        return abandon(engine)


def _refuse_if_run(session: Session, zone_code: str | None, slot: datetime) -> None:
    """Raise ``AlreadyRun`` if the scheduled night was run (an abandoned run does not count)."""
    done = session.execute(
        select(Run).where(
            Run.scheduled_for == slot,
            Run.zone_code.is_(None) if zone_code is None else Run.zone_code == zone_code,
            Run.outcome != RunOutcome.ABANDONED,
        )
    ).scalar_one_or_none()
    if done is not None:
        raise AlreadyRun(
            f"the run scheduled for {slot.isoformat()} (zone {zone_code or '(all)'}) was done by run {done.id} "
            f"({done.outcome}, {done.worker or 'unknown worker'})"
        )


def _check(record: Run, lock: RunLock) -> None:
    """Between steps: stop if the lock was lost (another run may start) or the time limit passed."""
    if not lock.held():
        raise LockLost("the run lock was lost (database connection or lease); stopped so as not to run twice")
    if utcnow() > record.started_at + timedelta(minutes=get_settings().run_time_limit_minutes):
        raise TimedOut(_limit_reason(record))


def _limit_statements(session: Session, record: Run) -> None:
    """On PostgreSQL, let no statement of the writing transaction outlive the run's time limit."""
    if session.get_bind().dialect.name != "postgresql":
        return
    left = record.started_at + timedelta(minutes=get_settings().run_time_limit_minutes) - utcnow()
    milliseconds = max(int(left.total_seconds() * 1000), 1)
    session.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))


def _timed_out(exc: Exception) -> bool:
    """Past the limit: our own check, or PostgreSQL cancelling a statement (SQLSTATE 57014),
    through SQLAlchemy or straight from the driver (the findings' COPY)."""
    cause = getattr(exc, "orig", None) or exc
    return isinstance(exc, TimedOut) or getattr(cause, "sqlstate", None) == "57014"


def _limit_reason(record: Run) -> str:
    minutes = get_settings().run_time_limit_minutes
    return f"run {record.id} stopped: past its time limit of {minutes:g} minutes (FTZ_RUN_TIME_LIMIT_MINUTES)"


def _finish(engine: Engine, record: Run, outcome: RunOutcome, error: str) -> None:
    """Record how a run ended without success; its findings were never touched."""
    with Session(engine, expire_on_commit=False) as session:
        session.execute(
            update(Run)
            .where(Run.id == record.id, Run.outcome == RunOutcome.RUNNING)
            .values(outcome=outcome, finished_at=utcnow(), error=error)
        )
        audit.record(session, actor="system", action=f"run.{outcome.lower()}", subject=f"run:{record.id}",
                     details={"error": error})  # fmt: skip
        session.commit()
    record.outcome, record.error, record.finished_at = outcome, error, utcnow()


def _seconds(record: Run) -> float:
    return (utcnow() - record.started_at).total_seconds()


def get_all(session: Session, *, include_closed: bool = False) -> list[Discrepancy]:
    """Discrepancies, highest risk first."""
    query = select(Discrepancy).order_by(Discrepancy.risk_score.desc(), Discrepancy.id)
    if not include_closed:
        query = query.where(Discrepancy.status != Status.CLOSED)
    return list(session.execute(query).scalars())


def get_all_runs(session: Session, *, limit: int | None = None) -> list[Run]:
    """Runs, newest first."""
    return list(session.execute(select(Run).order_by(Run.id.desc()).limit(limit)).scalars())


def _zone_id(engine: Engine, zone_code: str | None) -> int | None:
    if not zone_code:
        return None
    with Session(engine) as session:
        return zones.get_zone_or_raise(session, code=zone_code.strip().upper()).id


def _previous(engine: Engine, zone_code: str | None) -> Run | None:
    """The last successful run an incremental run can build on: same scope, same settings, now
    (a change of reference lists is re-checked where it touches, see ``_changed_scope``)."""
    with Session(engine, expire_on_commit=False) as session:
        last = session.execute(
            select(Run)
            .where(Run.outcome == RunOutcome.SUCCEEDED, Run.as_of.is_(None))
            .where(Run.zone_code.is_(None) if zone_code is None else Run.zone_code == zone_code)
            .order_by(Run.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    if last is None or not last.seen:
        return None
    if last.seen.get("settings") != _settings_key():
        return None  # tolerances changed: every lot is judged anew
    if last.seen.get("profiles") != profiles.version_in_force(engine):
        return None  # other risk profiles in force: every stored customs item is judged anew
    return last


def _rescreen(previous: Run, versions: dict) -> bool:
    """Whether the parties list in force changed since ``previous``: then every stored name is
    screened again, in a full run."""
    return (previous.reference_versions or {}).get(ListKind.PARTIES) != versions.get(ListKind.PARTIES)


def _settings_key() -> str:
    zones_settings = {code: zone.model_dump() for code, zone in sorted(get_settings().zones.items())}
    return json.dumps(zones_settings, sort_keys=True)


def _visible(engine: Engine) -> dict:
    """The upload and inspection ids this run can see: the highest, and the missing ones below it."""
    with engine.connect() as conn:
        seen = {name: registers.seen_ids(conn, table) for name, table in _MARKED}
    seen["settings"] = _settings_key()
    seen["profiles"] = profiles.version_in_force(engine)
    return seen | registers.marker(engine)


def _changed_scope(engine: Engine, previous: Run, versions: dict) -> tuple[pd.DataFrame, set[str]]:
    """The lots and declarations changed since the ``previous`` run, and those a new version
    of a reference list can change, closed under what ties lots together in a finding."""
    seen = previous.seen
    with engine.connect() as conn:  # imports and inspections since, and those then in flight
        new = {name: registers.new_ids(conn, table, seen[name]) for name, table in _MARKED}
    parts = [changed(engine, uploads=new["uploads"], counts=new["counts"]), registers.changed(engine, seen)]
    prefixes, countries = reference.touched(engine, before=previous.reference_versions, after=versions)
    parts.append(of_goods(engine, hs_prefixes=prefixes, countries=countries))
    parts.append(registers.descriptions_changed(engine, before=previous.reference_versions, after=versions,
                                                prefixes=prefixes))  # fmt: skip
    parts.append(transfers.due_since(engine, previous.started_at, utcnow()))  # overdue by now, not by a record
    lots = pd.concat([p[0] for p in parts], ignore_index=True).drop_duplicates(ignore_index=True)
    declarations = set().union(*(p[1] for p in parts))
    # every record of a name a changed record carries: a DENIED_PARTY finding lists them all
    named = parties.names_scope(engine, lots.astype({"operator_id": "int64"}), declarations)
    lots = pd.concat([lots, named[0]], ignore_index=True).drop_duplicates(ignore_index=True)
    return lots.astype({"operator_id": "int64"}), declarations | named[1]
