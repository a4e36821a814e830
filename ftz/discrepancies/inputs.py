"""What a run reads: the ledger of a scope, the reference lists and registers in force, split
into the parts the engine reconciles one by one (zones tied by transfers together)."""

from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, text

from ftz.config import ZoneSettings, get_settings
from ftz.database import ids_in, of_marker, utcnow
from ftz.discrepancies import registers
from ftz.ledger import transfers
from ftz.ledger.service import customs_frame, movements_frame
from ftz.ledger.snapshot import Snapshot
from ftz.parties import service as parties
from ftz.profiles import service as profiles
from ftz.reference import service as reference
from reconciliation.engine import Inputs
from reconciliation.quantities import Tolerances
from reconciliation.transfers import zone_groups

COUNT_COLUMNS = ["count_id", "operator_id", "lot_ref", "occurred_at", "quantity", "unit", "count_ref"]
# an examination's count also says what goods were found, against what the item declared
EXAMINED_COLUMNS = ["examination_id", "declaration_ref", "item_no", "declared_hs", "found_hs", "zone_id"]


@dataclass
class Context:
    """What every part of a run shares: the moment, the reference lists and registers in force,
    each zone's settings, and which zones' findings are judged. Plain data: it travels to workers."""

    moment: pd.Timestamp | None  # as of a past moment; None: now
    zones: list[int | None]  # the zones whose ledgers are read one by one (None: every zone at once)
    shared: dict  # the engine's inputs other than the ledger
    own: dict[int, dict]  # per zone id: what the zone may set differently, as engine inputs
    judged: frozenset[int] | None = None
    # the run's marker (uploads and counts it sees: highest id and gaps): every part reads the
    # same ledger however long the run; what commits meanwhile is read by the next run
    seen: dict | None = None
    copy: Snapshot | None = None  # a snapshot of the ledger holding the uploads ``seen`` names
    ledger: str | None = None  # for a run's workers: the digest of the uploads ``seen`` names


def context(
    engine: Engine, *, as_of: datetime | None = None, zone_id: int | None = None, seen: dict | None = None
) -> Context:
    """What a run (of a zone, or all) reads besides the ledger. A zone's run reads the records of
    the zones tied to it by transfers too, to follow its goods; only its findings are judged."""
    moment = pd.Timestamp(as_of) if as_of is not None else None
    tied = sorted(transfers.tied_zones(engine, zone_id)) if zone_id is not None else []
    shared = {
        "controls": reference.controls(engine),
        "destinations": reference.destinations(engine),
        "zones": transfers.with_transit_days(registers.zones(engine)),
        "licences": registers.licences(engine),
        "terms": reference.terms_in_force(engine),
        "operators": registers.operators(engine),
        "now": moment if moment is not None else pd.Timestamp(utcnow()),
        "profiles": profiles.in_force(engine)[1],
        "parties": parties.get_all(engine),
    }
    return Context(
        moment=moment,
        zones=tied if len(tied) > 1 else [zone_id],
        shared=shared,
        own=_own(engine),
        judged=frozenset({zone_id}) if len(tied) > 1 else None,
        seen=seen,
    )


def read_inputs(
    engine: Engine,
    *,
    as_of: datetime | None = None,
    zone_id: int | None = None,
    scope: tuple | None = None,
    operators: tuple[int, ...] | None = None,
    ctx: Context | None = None,
) -> Inputs:
    """Everything the engine needs (of a scope of lots and declarations, or of some operators,
    if given), from the ledger and the reference lists in force."""
    ctx = ctx or context(engine, as_of=as_of, zone_id=zone_id)
    zone_ids = [None] if operators is not None else ctx.zones  # a partition's operators are already chosen
    each = [_ledger(engine, moment=ctx.moment, zone_id=z, scope=scope, operators=operators, seen=ctx.seen,
                    copy=ctx.copy) for z in zone_ids]  # fmt: skip
    ledger = each[0] if len(each) == 1 else {name: pd.concat([part[name] for part in each], ignore_index=True)
                                             for name in each[0]}  # fmt: skip
    return Inputs(**ledger, **ctx.shared, judged=ctx.judged)


def _ledger(
    engine: Engine,
    *,
    moment: pd.Timestamp | None,
    zone_id: int | None,
    scope: tuple | None,
    operators: tuple[int, ...] | None = None,
    seen: dict | None = None,
    copy: Snapshot | None = None,
) -> dict:
    """One zone's (or some operators', or every zone's) movements, customs items, counts and
    holds, as known at ``moment`` (and of the uploads and counts a run's marker ``seen`` names;
    some operators' from the snapshot ``copy`` of those uploads if given)."""
    bulk = scope is None  # a whole zone or partition, not an incremental run's few lots
    uploads = seen["uploads"] if seen else None
    how = {"operators": operators, "scope": scope, "bulk": bulk, "uploads": uploads, "copy": copy}
    moves = movements_frame(engine, zone_id=zone_id, **how)
    entries = customs_frame(engine, current_only=False, zone_id=zone_id, **how)
    where = []
    if zone_id is not None:
        where.append(f"o.zone_id = {int(zone_id)}")
    if operators is not None:
        where.append(ids_in("c.operator_id", operators))
    if seen:
        where.append(of_marker("c.id", seen["counts"]))
    with engine.connect() as conn:
        counts = pd.read_sql(
            text(
                "SELECT c.id AS count_id, c.operator_id, c.lot_ref, c.counted_at AS occurred_at, c.quantity, c.unit, "
                "'inspection ' || c.id AS count_ref, x.id AS examination_id, x.declaration_ref, x.item_no, "
                "x.declared_hs_code AS declared_hs, x.found_hs_code AS found_hs, o.zone_id "
                "FROM stock_count c JOIN operator o ON o.id = c.operator_id "
                "LEFT JOIN examination x ON x.stock_count_id = c.id "
                + (f"WHERE {' AND '.join(where)}" if where else "")
            ),
            conn,
        )
    counts["occurred_at"] = pd.to_datetime(counts["occurred_at"], utc=True, format="ISO8601")
    if moment is not None:  # what was known then: later records, counts and inspections left out
        moves, entries = moves[moves["occurred_at"] <= moment], entries[entries["lodged_at"] <= moment]
        counts = counts[counts["occurred_at"] <= moment]
    if scope is not None:
        keys = pd.MultiIndex.from_frame(scope[0][["operator_id", "lot_ref"]])
        counts = counts[pd.MultiIndex.from_frame(counts[["operator_id", "lot_ref"]]).isin(keys)]
    lots = scope[0] if scope is not None else None
    holds = registers.holds(engine, zone_id=zone_id, lots=lots, as_of=moment, operators=operators)
    return {"movements": moves, "entries": entries, "counts": counts[COUNT_COLUMNS + EXAMINED_COLUMNS], "holds": holds}


def _own(engine: Engine) -> dict[int, dict]:
    """Each zone's settings that the engine reads (tolerances, the party name threshold)."""
    settings = get_settings()
    with engine.connect() as conn:
        codes = dict(conn.execute(text("SELECT id, code FROM zone")).all())
    return {
        int(zone_id): {
            "tolerances": tolerances(settings.zone(code)),
            "parties_threshold": parties.threshold(code),
        }
        for zone_id, code in codes.items()
    }


def by_zone(inputs: Inputs, own: dict[int, dict]) -> list[Inputs]:
    """The inputs split into groups of zones that never share a finding (zones tied by transfers
    share a group), each with its zones' settings (``own``); a group whose judged zones' settings
    differ is reconciled once per zone, each call judging that zone's findings only."""
    parts = []
    for group in zone_groups(inputs.movements, inputs.entries, inputs.zones):
        judged = [z for z in group if inputs.judged is None or z in inputs.judged]
        if not judged:
            continue
        moves = inputs.movements[inputs.movements["zone_id"].isin(group)]
        part = replace(
            inputs, movements=moves, entries=inputs.entries[inputs.entries["zone_id"].isin(group)],
            counts=inputs.counts[inputs.counts["zone_id"].isin(group)],
        )  # fmt: skip
        settings = [own[z] for z in judged]
        if all(s == settings[0] for s in settings):
            whole = inputs.judged is None or len(judged) == len(group)
            parts.append(replace(part, **settings[0], judged=None if whole else frozenset(judged)))
        else:
            parts += [replace(part, **own[z], judged=frozenset({z})) for z in judged]
    return parts or [inputs]


def tolerances(zone: ZoneSettings) -> Tolerances:
    """The engine's tolerances for a zone: the defaults, with the zone's overrides on top."""
    default = Tolerances()
    return Tolerances(
        relative=default.relative | (zone.quantity_relative or {}),
        absolute=default.absolute | (zone.quantity_absolute or {}),
        recording_delay_days=default.recording_delay_days
        if zone.recording_delay_days is None
        else zone.recording_delay_days,
        processing_loss=default.processing_loss if zone.processing_loss is None else zone.processing_loss,
    )
