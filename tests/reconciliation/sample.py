"""A sample folder (tests/fixtures/…) read straight into the engine's inputs, as the importers
would store it: local times in the zone's time zone, HS codes as digits, quantities in millionths."""

from decimal import Decimal
from functools import cache
from pathlib import Path

import pandas as pd

from ftz.profiles.schemas import parse
from ftz.zones.service import default_timezone
from reconciliation.engine import Inputs, reconcile
from reconciliation.parties import entry_hashes
from tests.reconciliation.builders import CONTROLS, DESTINATIONS

REFERENCE = Path(__file__).parents[2] / "fixtures" / "reference"
TWO_ZONES = Path(__file__).parents[1] / "fixtures" / "two-zones"


def two_zones_findings(*kinds: str) -> pd.DataFrame:
    """The two-zone sample's findings of ``kinds``, each with its lot ``family`` (the lot its
    goods were first admitted as); the sample is reconciled once per test process."""
    found = _two_zones()
    found = found[found["kind"].isin(kinds)]
    family = pd.read_csv(TWO_ZONES / "lot_family.csv", dtype=str).set_index("lot_ref")["root_lot"]
    return found.assign(family=found["lot_ref"].map(family))


def two_zones_planted(*kinds: str) -> pd.DataFrame:
    """The two-zone sample's planted findings of ``kinds`` (``expected.csv``), ``strategic`` as a bool."""
    expected = pd.read_csv(TWO_ZONES / "expected.csv", dtype=str)
    return expected[expected["kind"].isin(kinds)].assign(strategic=expected["strategic"] == "true")


@cache
def _two_zones() -> pd.DataFrame:
    return reconcile(load(TWO_ZONES))


def load(folder: Path, *, zone: tuple[str, str] = ("ZFX", "AE"), terms: pd.DataFrame | None = None) -> Inputs:
    """The folder's movements, customs items, licences and holds, with the shipped reference lists."""
    zones = (
        _csv(folder / "zones.csv")
        if (folder / "zones.csv").exists()
        else pd.DataFrame([zone], columns=["zone_code", "country"])
    )
    zones = zones.assign(zone_id=range(1, len(zones) + 1), timezone=zones["country"].map(default_timezone))
    files = sorted(folder.glob("movements_*.csv"))
    if (folder / "operators.csv").exists():
        operators = _csv(folder / "operators.csv")
    else:
        codes = [f.stem.removeprefix("movements_") for f in files]
        operators = pd.DataFrame({"operator_code": codes, "zone_code": zone[0], "aeo": None})
    operators = operators.assign(operator_id=range(1, len(operators) + 1))
    operators = operators.merge(zones[["zone_code", "zone_id", "timezone"]], on="zone_code")
    ids = dict(zip(operators["operator_code"], operators["operator_id"], strict=True))
    moves = pd.concat(
        [_csv(f).assign(operator_code=f.stem.removeprefix("movements_")) for f in files], ignore_index=True
    ).merge(operators[["operator_code", "operator_id", "zone_id", "timezone"]], on="operator_code")
    moves = moves.assign(
        id=range(1, len(moves) + 1), occurred_at=_moments(moves["occurred_at"], moves["timezone"]),
        hs_code=_digits(moves["hs_code"]), quantity=_millionths(moves["quantity"]), recorded_at=pd.Timestamp.now("UTC"),
    )  # fmt: skip
    items = _csv(folder / "customs.csv").merge(
        operators[["operator_code", "operator_id", "timezone"]], on="operator_code"
    )
    items = items.merge(zones[["zone_code", "zone_id"]], on="zone_code")
    items = items.assign(
        id=range(1, len(items) + 1), lodged_at=_moments(items["lodged_at"], items["timezone"]),
        hs_code=_digits(items["hs_code"]), quantity=_millionths(items["quantity"]),
        item_no=items["item_no"].astype(int), version=items.get("version", pd.Series(1)).fillna("1").astype(int),
        status=items.get("status", pd.Series("ACCEPTED")).fillna("ACCEPTED"),
    )  # fmt: skip
    return Inputs(
        movements=moves,
        entries=items,
        counts=pd.DataFrame(columns=["operator_id", "lot_ref", "occurred_at", "quantity", "unit", "count_ref"]),
        controls=pd.read_csv(REFERENCE / "controls.csv", dtype=str)[CONTROLS.columns],
        destinations=pd.read_csv(REFERENCE / "destinations.csv", dtype=str)[DESTINATIONS.columns],
        zones=zones.rename(columns={"zone_code": "code"})[["zone_id", "code", "country", "timezone"]],
        licences=_licences(folder, ids),
        holds=_holds(folder, ids),
        terms=terms if terms is not None else pd.read_csv(REFERENCE / "terms.csv", dtype=str),
        operators=operators.rename(columns={"operator_code": "code"})[
            ["operator_id", "code", "aeo", *(["name"] if "name" in operators else [])]
        ],
        parties=_parties(folder),
        profiles=_profiles(folder),
    )


def _csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.replace("", None)


def _digits(codes: pd.Series) -> pd.Series:
    return codes.str.replace(r"[.\s]", "", regex=True)


def _millionths(values: pd.Series) -> pd.Series:
    return values.map(lambda v: int(Decimal(v) * 1_000_000) if isinstance(v, str) else None).astype("Int64")


def _moments(values: pd.Series, timezones: pd.Series) -> pd.Series:
    """ISO date-times; those without an offset in the given local time zone."""
    out = []
    for value, tz in zip(values, timezones, strict=True):
        moment = pd.Timestamp(value)
        out.append(moment.tz_convert("UTC") if moment.tzinfo else moment.tz_localize(tz).tz_convert("UTC"))
    return pd.Series(out, index=values.index, dtype="datetime64[ns, UTC]")


def _licences(folder: Path, ids: dict) -> pd.DataFrame:
    if not (folder / "licences.csv").exists():
        return Inputs.__dataclass_fields__["licences"].default_factory()
    frame = _csv(folder / "licences.csv")
    return frame.assign(
        version=frame["version"].fillna("1").astype(int), status=frame["status"].fillna("VALID"),
        holder_id=frame["holder"].map(ids), quantity=_millionths(frame["quantity"]),
    )  # fmt: skip


def _profiles(folder: Path) -> list[dict]:
    """The folder's risk profiles, validated as ``ftz profile load`` validates them."""
    if not (folder / "profiles.yaml").exists():
        return []
    return [p.plain() for p in parse((folder / "profiles.yaml").read_text())]


def _parties(folder: Path) -> pd.DataFrame:
    """The folder's denied-party list (ftz CSV), as the loader stores it."""
    if not (folder / "parties.csv").exists():
        return Inputs.__dataclass_fields__["parties"].default_factory()
    frame = _csv(folder / "parties.csv").rename(columns={"list": "list_name"})
    return frame.assign(content_hash=entry_hashes(frame))


def _holds(folder: Path, ids: dict) -> pd.DataFrame:
    if not (folder / "holds.csv").exists():
        return Inputs.__dataclass_fields__["holds"].default_factory()
    frame = _csv(folder / "holds.csv")
    return pd.DataFrame(
        {
            "hold_id": range(1, len(frame) + 1),
            "operator_id": frame["operator_code"].map(ids),
            "lot_ref": frame["lot_ref"],
            "starts_at": pd.to_datetime(frame["from_at"], utc=True),
            "released_at": pd.to_datetime(frame["release_at"], utc=True),
            "placed_by": "auditor",
        }
    )
