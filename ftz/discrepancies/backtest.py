"""The backtest of a profile file (``ftz profile test``): what a run would raise with those
profiles in force, on the stored customs items, by the run's own reading and engine. Stores nothing."""

from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from ftz.auth.scope import Caller, Permission
from ftz.discrepancies.inputs import by_zone, context, read_inputs
from ftz.profiles.schemas import parse
from reconciliation.engine import reconcile
from reconciliation.profiles import KIND

EXAMPLES = 5  # items named per profile


@dataclass
class Backtest:
    """What a set of profiles would raise on the stored customs items in force."""

    counts: dict[str, int]  # per profile code, in the file's order (0 for a profile that hits nothing)
    examples: dict[str, list[str]] = field(default_factory=dict)  # per code, a few items it hits
    since: date | None = None


def backtest(engine: Engine, *, caller: Caller, text: str | bytes, since: date | None = None) -> Backtest:
    """How many stored customs items in force each profile of ``text`` would hit (lodged on or
    after ``since``, a day of the zone's local time): the engine's own rule on the whole ledger,
    so the counts are what a run would raise. Stores nothing."""
    caller.require(Permission.REVIEW)
    profiles = [p.plain() for p in parse(text)]
    ctx = context(engine)
    inputs = read_inputs(engine, ctx=ctx)
    # only the profile rule's findings are counted: no party is screened for them
    inputs = replace(inputs, profiles=profiles, parties=inputs.parties.iloc[:0])
    parts = by_zone(inputs, ctx.own) if len(inputs.entries) else []
    own = None if caller.sees_everything else set(caller.zone_ids or ())
    if own is not None:  # an auditor's own zones: the parts holding them, transfers from others included
        parts = [p for p in parts if own & set(p.entries["zone_id"])]
    found = [reconcile(part) for part in parts]
    hits = pd.concat([f[f["kind"] == KIND] for f in found], ignore_index=True) if found else pd.DataFrame()
    if own is not None and len(hits):  # counted on the auditor's own items only
        hits = hits[hits["zone_id"].isin(own)]
    if since is not None and len(hits):
        hits = hits[hits["facts"].map(lambda f: date.fromisoformat(f["lodged_on"]) >= since)]
    counts = dict.fromkeys((p["code"] for p in profiles), 0)
    examples: dict[str, list[str]] = {code: [] for code in counts}
    for facts in hits.get("facts", []):
        code = facts["profile"]["code"]
        counts[code] += 1
        if len(examples[code]) < EXAMPLES:
            examples[code].append(facts["item"])
    return Backtest(counts=counts, examples=examples, since=since)
