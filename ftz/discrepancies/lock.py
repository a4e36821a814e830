"""The run lock: one reconciliation at a time, across processes and machines.

PostgreSQL: a session advisory lock, held by a connection kept open for the run; the
server frees it the moment that connection ends, whatever killed the process.
SQLite (one machine): a lease row that the holder renews while it works; it is free once
expired, or at once when its holder was a process of this machine that no longer exists.
"""

import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import Connection, Engine, create_engine, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from ftz.config import get_settings
from ftz.database import utcnow
from ftz.discrepancies.models import Run, RunLease, RunOutcome
from ftz.errors import Conflict, FtzError

log = logging.getLogger("ftz.runs")
LEASE = "reconciliation"
# The advisory lock's key: any fixed 64-bit number no other application on the server uses.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"ftz reconciliation").digest()[:8], "big", signed=True)
POLL_SECONDS = 0.5


class RunInProgress(Conflict):
    """Another reconciliation holds the run lock."""


class LockLost(FtzError):
    """The run lock was lost while a run worked (connection dropped, lease expired)."""


def worker() -> str:
    """This process, as runs and leases name it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class RunLock:
    """Held by the one process that may reconcile; ``acquire`` waits or raises ``RunInProgress``."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.holder = f"{worker()}:{secrets.token_hex(4)}"
        self._conn: Connection | None = None  # PostgreSQL: the session that holds (or asks for) the lock
        self._held = False
        self._renewer: threading.Thread | None = None
        self._stop = threading.Event()
        self._lost = threading.Event()

    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def acquire(self, wait: float = 0) -> "RunLock":
        """Take the lock, waiting up to ``wait`` seconds; raise ``RunInProgress`` if still held."""
        deadline = time.monotonic() + wait
        while not self._try():
            if time.monotonic() >= deadline:
                self.release()
                raise RunInProgress(in_progress(self.engine))
            time.sleep(POLL_SECONDS)
        return self

    def held(self) -> bool:
        """Whether this process still holds the lock (a lease can be lost; a connection can drop)."""
        if self._postgres:
            if self._conn is None or not self._held:
                return False
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
            except Exception:
                return False
            return True
        return self._renewer is not None and not self._lost.is_set()

    def release(self) -> None:
        """Give the lock up (safe to call twice)."""
        if self._postgres and self._conn is not None:
            conn, held, self._conn, self._held = self._conn, self._held, None, False
            try:
                if held:
                    conn.rollback()  # a failed write may have left its transaction open
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                    conn.commit()
                conn.close()
            except Exception:
                conn.invalidate()  # the server ends the session, and the lock with it
        elif self._renewer is not None:
            self._stop.set()
            self._renewer.join()
            self._renewer = None
            with self.engine.begin() as conn:
                conn.execute(
                    update(RunLease)
                    .where(RunLease.name == LEASE, RunLease.holder == self.holder)
                    .values(holder=None, expires_at=None)
                )

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _try(self) -> bool:
        try:
            return self._try_postgres() if self._postgres else self._try_lease()
        except OperationalError as exc:  # the database busy or unreachable for a moment: not taken
            log.warning("the run lock could not be asked for: %s", str(exc.orig).strip().splitlines()[0])
            return False

    def _try_postgres(self) -> bool:
        if self._conn is None:  # one connection for all the tries of a wait
            self._conn = _unpooled(self.engine).connect()
        got = self._conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
        self._conn.commit()  # the lock belongs to the session, not to a transaction left open
        self._held = bool(got)
        return self._held

    def _try_lease(self) -> bool:
        if not self._take_lease():
            return False
        self._stop.clear()
        self._lost.clear()
        self._renewer = threading.Thread(target=self._renew, name="run-lease", daemon=True)
        self._renewer.start()
        return True

    def connection(self) -> Connection | None:
        """PostgreSQL: the connection holding the lock. A run writes its findings on it, so
        that they commit only while the lock is still held."""
        return self._conn if self._postgres and self._held else None

    def confirm(self, conn: Connection) -> None:
        """SQLite: in the run's writing transaction, check the lease is still ours (and extend it)."""
        if self._postgres:
            return
        renewed = conn.execute(
            update(RunLease)
            .where(RunLease.name == LEASE, RunLease.holder == self.holder)
            .values(expires_at=utcnow() + timedelta(seconds=get_settings().run_lease_seconds))
        ).rowcount
        if renewed != 1:
            raise LockLost("the run lease was taken by another process: nothing of this run is written")

    def _take_lease(self) -> bool:
        seconds = get_settings().run_lease_seconds
        now = utcnow()
        with self.engine.begin() as conn:
            current = conn.execute(select(RunLease.holder, RunLease.expires_at).where(RunLease.name == LEASE)).one()
            free = current.holder is None or current.expires_at is None or current.expires_at <= now
            if not free and not _dead_here(current.holder):
                return False
            taken = conn.execute(
                update(RunLease)
                .where(RunLease.name == LEASE)
                .where(RunLease.holder.is_(None) if current.holder is None else RunLease.holder == current.holder)
                .values(holder=self.holder, expires_at=now + timedelta(seconds=seconds))
            )
            return taken.rowcount == 1

    def _renew(self) -> None:
        seconds = get_settings().run_lease_seconds
        while not self._stop.wait(seconds / 3):
            try:
                with self.engine.begin() as conn:
                    renewed = conn.execute(
                        update(RunLease)
                        .where(RunLease.name == LEASE, RunLease.holder == self.holder)
                        .values(expires_at=utcnow() + timedelta(seconds=seconds))
                    ).rowcount
            except Exception:
                log.exception("the run lease could not be renewed; trying again")
                continue
            if renewed != 1:
                log.error("the run lease was taken by another process: this run stops at its next step")
                self._lost.set()
                return


@lru_cache
def _unpooled(engine: Engine) -> Engine:
    """The lock's connections are never pooled: one dropped without a release ends its session,
    and the lock with it, rather than going back to the pool still holding the lock."""
    # TCP keepalives: when the holder's machine dies without closing the connection (power
    # lost, network cut), the server ends its session, and frees the lock, within about a
    # minute instead of the system's default of two hours.
    # (The server's settings watch the client; libpq's own watch the server.)
    server = "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
    client = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
    return create_engine(engine.url, poolclass=NullPool, connect_args=client | {"options": server})


def _dead_here(holder: str) -> bool:
    """Whether a lease holder was a process of this machine that has ended."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def in_progress(engine: Engine) -> str:
    """Why a run cannot start now: which run holds the lock, since when, started by whom."""
    with engine.connect() as conn:
        running = conn.execute(
            select(Run).where(Run.outcome == RunOutcome.RUNNING).order_by(Run.id.desc()).limit(1)
        ).first()
    if running is None:
        return "a reconciliation is in progress: try again when it has finished"
    started = running.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    where = f" on {running.worker}" if running.worker else ""
    return (
        f"a reconciliation is in progress (run {running.id}, started {started} by {running.started_by}{where}): "
        "try again when it has finished"
    )
