"""Partitions of a full run: groups of operators that no finding spans, packed to a bounded size.

Every rule reads one operator's records, except where goods or papers pass between operators:
an admission naming the transfer it continues (``previous_ref``, across zones too), a licence
cited by the customs items of more than one operator, and a declaration whose items (in any
version) name more than one operator. Operators tied that way share a
group; groups are packed, largest first, into partitions of at most
``FTZ_PARTITION_ROWS`` movements and customs items. A group larger than that is a partition of
its own: an operator's lots are the smallest unit, because a denied-party finding gathers every
record of an operator that names the party.
"""

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine, text

from ftz.config import get_settings
from ftz.database import get_engine, ids_in
from ftz.discrepancies.inputs import Context, by_zone, read_inputs
from ftz.errors import FtzError
from ftz.ledger.service import kept_copy, ledger_copy
from ftz.ledger.snapshot import TABLES, Snapshot, fingerprints
from reconciliation.engine import Inputs, reconcile
from reconciliation.groups import groups

log = logging.getLogger("ftz.runs")


class WorkerMisconfigured(FtzError):
    """A Dask worker that cannot read the run's ledger: no database URL, or another database's."""


@dataclass(frozen=True)
class Partition:
    """Operators reconciled together, and how many movements and customs items they hold."""

    operators: tuple[int, ...]
    rows: int


def plan(
    engine: Engine, *, zone_ids: Iterable[int] | None = None, limit: int | None = None, uploads: dict | None = None
) -> list[Partition]:
    """The partitions of a full run over every operator (of ``zone_ids`` if given), largest first
    (every zone's operators sized, where the ledger's copy can, by the ``uploads`` of the run's marker)."""
    return _planned(engine, zone_ids=zone_ids, limit=limit, uploads=uploads)[0]


def _planned(
    engine: Engine, *, zone_ids: Iterable[int] | None, limit: int | None, uploads: dict | None
) -> tuple[list[Partition], set[tuple[int, int]]]:
    """``plan``'s partitions and the ties between operators they were grouped by."""
    kept = kept_copy(engine, uploads=uploads) if zone_ids is None and uploads is not None else None
    sizes = _sizes(engine, None if zone_ids is None else set(zone_ids), kept)
    ties = _ties(engine, kept)
    return _packed(groups(sizes, ties), sizes, limit or get_settings().partition_rows), ties


def reconcile_all(
    engine: Engine, ctx: Context, *, workers: int = 0, check: Callable[[], None] = lambda: None
) -> tuple[pd.DataFrame, int]:
    """Every finding of a full run and how many lots it read, partition by partition: in this
    process, or on a Dask cluster (``workers`` local processes, or ``FTZ_DASK_SCHEDULER``'s).
    ``check`` runs between partitions and stops the run by raising."""
    every = ctx.zones == [None]
    uploads = ctx.seen["uploads"] if every and ctx.seen else None
    parts, ties = _planned(engine, zone_ids=None if every else ctx.zones, limit=None, uploads=uploads)
    log.info("read in %d partition(s) of at most %s movements and customs items (the largest %s), full", len(parts),
             f"{get_settings().partition_rows:,}", f"{parts[0].rows:,}" if parts else 0)  # fmt: skip
    if uploads is not None and sum(p.rows for p in parts) >= get_settings().snapshot_rows:
        copy = ledger_copy(engine, uploads=uploads, chunks=[p.operators for p in parts], ties=ties)
        ctx = replace(ctx, copy=copy)  # every partition reads its operators' rows from the copy
    if get_settings().dask_scheduler or workers > 0:
        from ftz.discrepancies import cluster  # Dask is imported only for a run that uses it

        results = cluster.each(engine, ctx, parts, workers=workers)
    else:
        results = (reconcile_partition(engine, ctx, p.operators) for p in parts)
    found, lots = [], 0
    with closing(results):  # a run stopped between partitions stops its cluster then, not later
        for partition_found, partition_lots in results:
            check()
            found.append(partition_found)
            lots += partition_lots
    return (pd.concat(found, ignore_index=True) if found else reconcile_partition(engine, ctx, ())[0]), lots


def reconcile_partition(engine: Engine, ctx: Context, operators: tuple[int, ...]) -> tuple[pd.DataFrame, int]:
    """A partition's findings and how many lots it holds, its ledger read from the database."""
    return reconciled(read_inputs(engine, operators=operators, ctx=ctx), ctx)


def reconciled(inputs: Inputs, ctx: Context, check: Callable[[], None] = lambda: None) -> tuple[pd.DataFrame, int]:
    """The findings of inputs read for a run (a partition, or an incremental run's scope), zone
    group by zone group, and how many lots they hold; ``check`` runs before each group."""
    lots = int(inputs.movements[["operator_id", "lot_ref"]].drop_duplicates().shape[0])
    found = []
    for part in by_zone(inputs, ctx.own):
        check()
        found.append(reconcile(part))
    return pd.concat(found, ignore_index=True), lots


def on_worker(ctx: Context, operators: tuple[int, ...]) -> tuple[pd.DataFrame, int]:
    """``reconcile_partition`` in a Dask worker, on the database of the worker's own
    ``FTZ_DATABASE_URL`` (a URL holds a password: it never travels with a task), once it is
    known to hold the coordinator's ledger."""
    settings = get_settings()
    if "database_url" not in settings.model_fields_set:
        raise WorkerMisconfigured("this Dask worker has no FTZ_DATABASE_URL: start it with the database's URL set")
    engine = get_engine(settings.database_url)
    if ctx.ledger is not None and ledger_identity(engine, ctx) != ctx.ledger:
        raise WorkerMisconfigured(
            "this Dask worker's FTZ_DATABASE_URL names a database that does not hold the coordinator's ledger "
            "(its uploads differ): start it with the coordinator's"
        )
    return reconcile_partition(engine, ctx, operators)


def ledger_identity(engine: Engine, ctx: Context) -> str | None:
    """A digest of the uploads the run's marker names (id, checksum, time received): a database
    gives the coordinator's only if it holds the same ledger."""
    if not ctx.seen:
        return None
    held = sorted(fingerprints(engine, ctx.seen["uploads"]).items())
    return hashlib.sha256(json.dumps(held).encode()).hexdigest()


def _sizes(engine: Engine, zone_ids: set[int] | None, kept: tuple[Snapshot, list[int]] | None = None) -> dict[int, int]:
    """Each operator's movements and customs items: counted along the (operator, lot) indexes,
    or, with a ``kept`` copy that holds them, its counts and those of the uploads it lacks."""
    copy, since = kept if kept is not None and kept[0].rows is not None else (None, [])
    with engine.connect() as conn:
        operators = conn.execute(text("SELECT id, zone_id FROM operator")).all()
        sizes = {int(o): 0 for o, zone in operators if zone_ids is None or zone in zone_ids}
        counted = [] if copy is None else [per.items() for per in copy.rows.values()]
        if copy is None or since:  # every row counted, or only those of the uploads the copy lacks
            where = "" if copy is None else f"WHERE {ids_in('upload_id', since)}"
            counted += [conn.execute(text(f"SELECT operator_id, count(*) FROM {t} {where} GROUP BY 1")) for t in TABLES]
        for rows in counted:
            for operator_id, n in rows:
                if operator_id in sizes:
                    sizes[operator_id] += int(n)
    return sizes


# Pairs of operators a finding may span: a transfer's two ends (an item or an admission naming
# the declaration it continues), and the operators sharing a licence or a declaration.
_CONTINUES = ("SELECT e.operator_id, p.operator_id FROM customs_entry e JOIN customs_entry p "
              "ON p.declaration_ref = e.previous_ref WHERE e.previous_ref IS NOT NULL")  # fmt: skip
_ADMITS = ("SELECT m.operator_id, p.operator_id FROM movement m JOIN customs_entry p "
           "ON p.declaration_ref = m.previous_ref WHERE m.previous_ref IS NOT NULL")  # fmt: skip
_SHARED = (
    "SELECT DISTINCT licence_ref, operator_id FROM customs_entry WHERE licence_ref IS NOT NULL "
    "UNION SELECT c.declaration_ref, c.operator_id FROM customs_entry c JOIN (SELECT declaration_ref "
    "FROM customs_entry GROUP BY declaration_ref HAVING count(*) > 1) d ON d.declaration_ref = c.declaration_ref"
)
# the same, where a row of some uploads is one of the two ends, or names the ref shared
_SHARED_SINCE = (
    "SELECT DISTINCT licence_ref, operator_id FROM customs_entry WHERE licence_ref IN (SELECT licence_ref "
    "FROM customs_entry WHERE {new} AND licence_ref IS NOT NULL) UNION SELECT declaration_ref, operator_id "
    "FROM customs_entry WHERE declaration_ref IN (SELECT declaration_ref FROM customs_entry WHERE {new})"
)


def _ties(engine: Engine, kept: tuple[Snapshot, list[int]] | None = None) -> set[tuple[int, int]]:
    """Pairs of operators a finding may span: a transfer's two ends, a licence's citers, and the
    operators a declaration's items name (the version in force is chosen per item, whoever it
    names, and a destination amended between versions is read per declaration). With a ``kept``
    copy that holds its rows' ties, those and the ties of the uploads it lacks: the ledger is
    append-only, so the ties among rows already copied stay as they were."""
    if kept is not None and kept[0].ties is not None:
        copy, since = kept
        if not since:
            return set(copy.ties)
        new = {side: ids_in(f"{side}.upload_id", since) for side in ("e", "m", "p")}
        pairs = " UNION ".join(
            [f"{_CONTINUES} AND {new['e']}", f"{_CONTINUES} AND {new['p']}",
             f"{_ADMITS} AND {new['m']}", f"{_ADMITS} AND {new['p']}"]
        )  # fmt: skip
        return set(copy.ties) | _tied(engine, pairs, _SHARED_SINCE.format(new=ids_in("upload_id", since)))
    return _tied(engine, f"{_CONTINUES} UNION {_ADMITS}", _SHARED)


def _tied(engine: Engine, pairs: str, shared: str) -> set[tuple[int, int]]:
    """The operator pairs of ``pairs`` and, from ``shared``'s (ref, operator) rows, each
    operator tied to the first that shares its ref."""
    with engine.connect() as conn:
        ties = {(int(a), int(b)) for a, b in conn.execute(text(pairs)) if a != b}
        first: dict[str, int] = {}
        # a declaration of one operator's items ties it to itself only: counting items reads the
        # unique index alone, where the operators of every declaration would read the whole table
        for ref, operator_id in conn.execute(text(shared)):
            ties.add((first.setdefault(ref, int(operator_id)), int(operator_id)))
    return {(a, b) for a, b in ties if a != b}


def _packed(groups: list[list[int]], sizes: dict[int, int], limit: int) -> list[Partition]:
    """Groups packed first-fit, largest first, into partitions of at most ``limit`` rows (a
    larger group alone); the same groups always give the same partitions."""
    bins: list[tuple[list[int], int]] = []
    for group in sorted(groups, key=lambda g: (-sum(sizes[o] for o in g), g[0])):
        rows = sum(sizes[o] for o in group)
        for k, (operators, filled) in enumerate(bins):
            if filled + rows <= limit:
                bins[k] = ([*operators, *group], filled + rows)
                break
        else:
            bins.append((list(group), rows))
    parts = [Partition(tuple(sorted(operators)), rows) for operators, rows in bins]
    return sorted(parts, key=lambda p: (-p.rows, p.operators))
