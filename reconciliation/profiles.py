"""Risk profiles (contract section 8) against customs items: which items each profile hits, and
why. The one evaluator that arrival selectivity, runs (``RISK_PROFILE_HIT``) and the backtest share.

A profile is plain data: ``code``, ``title``, ``severity``, ``channel``, ``valid_from`` and
``valid_until`` (dates or None) and ``when``, the conditions, all of which must hold (a list
means any of its values). Conditions are evaluated column by column over the whole items frame,
so a batch costs a few vectorised operations per profile, not a loop over items.
"""

import logging
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import regex

from reconciliation.quantities import to_base
from reconciliation.risk import at_least, floors
from reconciliation.rules import _finding
from reconciliation.strategic import strategic_status
from reconciliation.units import UNITS

log = logging.getLogger("ftz.profiles")

KIND = "RISK_PROFILE_HIT"
CONDITIONS = (
    "direction", "procedures", "hs_prefixes", "strategic", "destination_tiers", "destinations", "origins",
    "operators", "aeo", "description_pattern", "min_quantity",
)  # fmt: skip
CHANNELS = ("GREEN", "YELLOW", "RED")  # lowest first: an item takes the highest of its hits
PATTERN_SECONDS = 0.05  # one description searched longer than this does not meet the pattern
# What an items frame needs: customs items, each with its operator's code and AEO certificate,
# its zone's time zone and whether its goods are strategic.
ITEM_COLUMNS = [
    "direction", "procedure", "hs_code", "destination_country", "intended_destination", "origin_country",
    "operator_code", "aeo", "description", "quantity", "unit", "lodged_at", "timezone", "strategic",
]  # fmt: skip
HIT_COLUMNS = ["row", "code", "severity", "channel", "held"]
_NO_PROCESSING = pd.DataFrame(columns=["operator_id", "process_ref", "lot_ref", "movement_type"])


def compile_pattern(pattern: str) -> regex.Pattern:
    """A description pattern compiled as ``re`` reads it (``regex``'s version 0), searched with a time limit."""
    return regex.compile(pattern, flags=regex.VERSION0)


def search(compiled: regex.Pattern, text: str, seconds: float = PATTERN_SECONDS) -> bool:
    """Whether ``compiled`` is found anywhere in ``text``; past the time limit it is not."""
    try:
        return compiled.search(text, timeout=seconds) is not None
    except TimeoutError:
        log.warning("pattern %r stopped after %.2f s on a description of %d characters", compiled.pattern, seconds,
                    len(text))  # fmt: skip
        return False


def in_base(value: str | int | float | Fraction, unit: str) -> tuple[int, str]:
    """A quantity in millionths of its dimension's base unit, and the dimension."""
    dimension, factor, _ = UNITS[unit]
    return round(Fraction(str(value)) * Fraction(factor) * 1_000_000), dimension


def hits(profiles: Iterable[dict], items: pd.DataFrame, destinations: pd.DataFrame) -> pd.DataFrame:
    """Every (item, profile) where every condition of the profile holds: ``row`` (the item's index
    label), ``code``, ``severity``, ``channel`` and ``held`` (each condition that held, in words).

    ``items``: ITEM_COLUMNS (``quantity`` in millionths of ``unit``, ``lodged_at`` UTC, ``aeo``
    the certificate or null); ``destinations``: country, tier (a country has every tier listed)."""
    missing = [c for c in ITEM_COLUMNS if c not in items.columns]
    if missing:
        raise ValueError(f"items: missing column(s) {', '.join(missing)}")
    if items.empty:
        return pd.DataFrame(columns=HIT_COLUMNS)
    facts = _Facts(items)
    tiers = destinations.groupby("tier")["country"].agg(set).to_dict() if len(destinations) else {}
    rows, codes, severities, chans, held = [], [], [], [], []
    for profile in profiles:
        found = _held(profile, facts, tiers)
        if found is None:
            continue
        positions, words = found
        rows += list(items.index[positions])
        codes += [profile["code"]] * len(positions)
        severities += [profile["severity"]] * len(positions)
        chans += [profile["channel"]] * len(positions)
        held += words
    return pd.DataFrame({"row": rows, "code": codes, "severity": severities, "channel": chans, "held": held},
                        columns=HIT_COLUMNS)  # fmt: skip


def channels(found: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Per item of ``index``: its ``channel`` (the highest of the profiles it hits, else GREEN)
    and ``profiles`` (their codes, highest channel first)."""
    rank = {name: n for n, name in enumerate(CHANNELS)}
    out = pd.DataFrame({"channel": "GREEN", "profiles": [[] for _ in range(len(index))]}, index=index)
    if found.empty:
        return out
    ordered = found.assign(rank=found["channel"].map(rank)).sort_values(["rank", "code"], ascending=[False, True])
    per_item = ordered.groupby("row", sort=False).agg(channel=("channel", "first"), profiles=("code", list))
    out.loc[per_item.index, "channel"] = per_item["channel"]
    out["profiles"] = [per_item["profiles"].get(label, []) for label in index]
    return out


class _Facts:
    """What the conditions read, prepared once for every profile: each text column factorised
    (a condition is decided once per distinct value), times as local days, quantities in base units."""

    def __init__(self, items: pd.DataFrame):
        self.n = len(items)
        self.codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        destination = items["destination_country"].where(items["destination_country"].notna(),
                                                          items["intended_destination"])  # fmt: skip
        columns = {
            "direction": items["direction"], "procedure": items["procedure"], "destination": destination,
            "origin": items["origin_country"], "operator": items["operator_code"],
            "hs": items["hs_code"].astype(str).str.replace(r"[.\s]", "", regex=True),
            "description": items["description"].where(items["description"].notna(), ""),
        }  # fmt: skip
        for name, column in columns.items():
            codes, uniques = pd.factorize(column.astype("object"), use_na_sentinel=True)
            self.codes[name] = (codes, np.asarray(uniques, dtype="object"))
        lodged = pd.to_datetime(items["lodged_at"], utc=True)
        zones = items["timezone"].fillna("UTC").to_numpy()
        day = np.empty(self.n, dtype="datetime64[D]")
        for tz in set(zones):  # a bare date is a day of the zone's local time
            mask = zones == tz
            day[mask] = lodged[mask].dt.tz_convert(tz).dt.tz_localize(None).to_numpy().astype("datetime64[D]")
        self.day = day
        known = items["unit"].isin(UNITS)
        base, dimension = to_base(items["quantity"].where(known, 0).astype("int64"), items["unit"].where(known))
        self.base, self.dimension = base.to_numpy(), dimension.to_numpy(dtype="object")
        self.quantity, self.unit = items["quantity"].to_numpy(), items["unit"].to_numpy(dtype="object")
        aeo = items["aeo"]
        self.aeo = (aeo.notna() & (aeo.astype(str).str.strip() != "")).to_numpy()
        self.strategic = items["strategic"].fillna(False).astype(bool).to_numpy()

    def isin(self, name: str, values) -> np.ndarray:
        """Whether each item's ``name`` is one of ``values`` (an absent value never is)."""
        codes, uniques = self.codes[name]
        wanted = np.array([u in set(values) for u in uniques], dtype=bool)
        return np.append(wanted, False)[codes]  # code -1 (absent) reads the appended False

    def test(self, name: str, predicate, mask: np.ndarray) -> np.ndarray:
        """``predicate`` of each distinct value of ``name`` among the items still in ``mask``."""
        codes, uniques = self.codes[name]
        result = np.zeros(len(uniques) + 1, dtype=bool)
        for code in np.unique(codes[mask]):
            if code >= 0:
                result[code] = predicate(uniques[code])
        return result[codes]

    def value(self, name: str, i: int):
        codes, uniques = self.codes[name]
        return uniques[codes[i]] if codes[i] >= 0 else ""


def _held(profile: dict, f: _Facts, tiers: dict[str, set]) -> tuple[np.ndarray, list[list[str]]] | None:
    """The positions of the items that meet every condition of ``profile``, and per item the
    conditions that held, in words (worded for those items only)."""
    when = profile.get("when") or {}
    mask = np.ones(f.n, dtype=bool)
    if profile.get("valid_from") is not None:
        mask &= f.day >= np.datetime64(_day(profile["valid_from"]), "D")
    if profile.get("valid_until") is not None:
        mask &= f.day <= np.datetime64(_day(profile["valid_until"]), "D")
    wording = []
    for name in CONDITIONS:
        if name not in when or when[name] is None:
            continue
        if not mask.any():
            return None
        met, say = _condition(name, when[name], f, tiers, mask)
        mask &= met
        wording.append(say)
    positions = np.flatnonzero(mask)
    if not len(positions):
        return None
    return positions, [[say(int(i)) for say in wording] for i in positions]


def _condition(name: str, value, f: _Facts, tiers: dict[str, set], mask: np.ndarray):
    """Whether each item meets one condition, and how the evidence words it for item ``i``."""
    values = value if isinstance(value, list) else [value]
    if name == "direction":
        return f.isin("direction", values), lambda i: f"direction {f.value('direction', i)}"
    if name == "procedures":
        return f.isin("procedure", values), lambda i: f"procedure {f.value('procedure', i)} (one of {_list(values)})"
    if name == "hs_prefixes":
        prefixes = tuple(str(v).replace(".", "").replace(" ", "") for v in values)
        met = f.test("hs", lambda hs: hs.startswith(prefixes), mask)
        return met, lambda i: f"HS code {f.value('hs', i)} (starts with one of {_list(prefixes)})"
    if name == "strategic":
        return f.strategic == bool(value), lambda i: "strategic goods" if value else "goods not strategic"
    if name == "destination_tiers":
        countries = set().union(*(tiers.get(t, set()) for t in values))
        tier_of = {c: next(t for t in values if c in tiers.get(t, set())) for c in countries}
        met = f.isin("destination", countries)
        return met, lambda i: f"destination {f.value('destination', i)} (tier {tier_of.get(f.value('destination', i))})"
    if name in ("destinations", "origins", "operators"):
        column = {"destinations": "destination", "origins": "origin", "operators": "operator"}[name]
        return f.isin(column, values), lambda i: f"{column} {f.value(column, i)} (one of {_list(values)})"
    if name == "aeo":
        words = "operator holds an AEO certificate" if value else "operator holds no AEO certificate"
        return f.aeo == bool(value), lambda i: words
    if name == "description_pattern":
        compiled = compile_pattern(str(value))
        met = f.test("description", lambda text: bool(text) and search(compiled, text), mask)
        return met, lambda i: f"description \u201c{f.value('description', i)}\u201d matches {value!r}"
    if name == "min_quantity":
        threshold, dimension = in_base(value["value"], value["unit"])
        met = (f.dimension == dimension) & (f.base >= threshold)
        at_least = f"at least {value['value']} {value['unit']}"
        return met, lambda i: f"quantity {Decimal(int(f.quantity[i])) / 1_000_000:f} {f.unit[i]} ({at_least})"
    raise ValueError(f"unknown condition {name!r}")


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _list(values) -> str:
    return ", ".join(str(v) for v in values)


# --- runs -----------------------------------------------------------------------------------


def item_status(lotted: pd.DataFrame, status: pd.DataFrame, controls: pd.DataFrame) -> pd.Series:
    """Per customs item in force (``lotted``, index kept): whether its goods are strategic, by its
    lot's status, or for an item with no lot by its own codes."""
    lots = lotted[["operator_id", "lot_ref"]].merge(
        status[["operator_id", "lot_ref", "strategic"]], on=["operator_id", "lot_ref"], how="left"
    )
    out = pd.Series(lots["strategic"].to_numpy(), index=lotted.index, dtype="object")
    loose = lotted["lot_ref"].isna()
    if loose.any():
        items = lotted[loose]
        goods = items.assign(lot_ref="#" + items.index.astype(str))[
            ["operator_id", "lot_ref", "hs_code", "control_code"]
        ]
        own = strategic_status(goods, _NO_PROCESSING, controls).set_index("lot_ref")["strategic"]
        out[loose] = ("#" + items.index.astype(str)).map(own).to_numpy()
    return out.fillna(False).astype(bool)


def findings(lotted: pd.DataFrame, status: pd.DataFrame, inputs) -> pd.DataFrame:
    """One RISK_PROFILE_HIT per profile in force and customs item in force that it hits
    (``inputs``: the engine's ``Inputs``; its ``profiles`` a list of profiles)."""
    profiles = list(inputs.profiles or [])
    if not profiles or lotted.empty:
        return pd.DataFrame()
    items = lotted.reset_index(drop=True).drop(columns=["operator_code", "aeo", "timezone"], errors="ignore")
    ops = inputs.operators[["operator_id", "code", "aeo"]].rename(columns={"code": "operator_code"})
    zones = inputs.zones[["zone_id", "timezone"]] if "timezone" in inputs.zones.columns else None
    items = items.merge(ops, on="operator_id", how="left")
    items = items.merge(zones, on="zone_id", how="left") if zones is not None else items.assign(timezone="UTC")
    items["strategic"] = item_status(items, status, inputs.controls).to_numpy()
    for column in ("origin_country", "intended_destination"):
        if column not in items.columns:
            items[column] = None
    found = hits(profiles, items, inputs.destinations)
    if found.empty:
        return pd.DataFrame()
    by_code = {p["code"]: p for p in profiles}
    rows = items.loc[found["row"]].reset_index(drop=True)
    found = found.reset_index(drop=True)
    label = rows["declaration_ref"] + "/" + rows["item_no"].astype(str)
    out = _finding(
        rows,
        KIND,
        customs_ref=rows["declaration_ref"],
        extra=found["code"] + "|" + rows["item_no"].astype(str),
        expected="profile " + found["code"],
        found="customs " + label,
        destination=rows["destination_country"],
        records=label,
        expected_from="risk profile " + found["code"] + ": " + found["code"].map(lambda c: by_code[c].get("title", "")),
        found_from="customs " + label + " version " + rows["version"].astype(str),
        detail="a customs item in force meets every condition of a risk profile in force",
    )
    days = [t.tz_convert(tz if isinstance(tz, str) else "UTC").date().isoformat()
            for t, tz in zip(pd.to_datetime(rows["lodged_at"], utc=True), rows["timezone"], strict=True)]  # fmt: skip
    out["facts"] = [
        {"profile": {"code": code, "title": by_code[code].get("title", ""), "severity": sev, "channel": channel,
                     "version": by_code[code].get("version")},
         "conditions": held, "item": item, "lodged_on": day}
        for code, sev, channel, held, item, day in zip(
            found["code"], found["severity"], found["channel"], found["held"], label, days, strict=True)
    ]  # fmt: skip
    return out


def profile_severity(scored: pd.DataFrame) -> pd.DataFrame:
    """A RISK_PROFILE_HIT's severity is its profile's, raised to the floors ``score`` applied
    (strategic goods never below HIGH, CRITICAL to an embargoed destination or a denied party)."""
    hit = scored["kind"] == KIND
    if not hit.any():
        return scored
    own = scored.loc[hit, "facts"].map(lambda f: f["profile"]["severity"])
    out = scored.copy()
    out.loc[hit, "severity"] = at_least(own, floors(scored.loc[hit]))
    return out
