"""Small ledgers for rule tests, built as the engine receives them (quantities in millionths)."""

import pandas as pd

from reconciliation.engine import Inputs

MOVEMENT_COLUMNS = [
    "id", "operator_id", "zone_id", "movement_ref", "movement_type", "occurred_at", "lot_ref", "hs_code", "quantity",
    "unit", "customs_ref", "destination_country", "intended_destination", "removal_kind", "control_code",
    "process_ref", "corrects_ref", "recorded_at", "description", "counterparty",
]  # fmt: skip
ENTRY_COLUMNS = [
    "id", "declaration_ref", "item_no", "version", "direction", "procedure", "status", "lodged_at", "zone_id",
    "operator_id", "lot_ref", "hs_code", "quantity", "unit", "destination_country", "intended_destination",
    "control_code", "description", "licence_ref", "consignor", "consignee",
]  # fmt: skip
CONTROLS = pd.DataFrame(
    [
        ("811292", "1C202", "CONTROLLED"),
        ("902620", "2B230", "MAY_BE_CONTROLLED"),
        ("281217", "1C350", "CONTROLLED"),
        ("284410", "0C001", "CONTROLLED"),
    ],
    columns=["hs_code", "control_code", "strength"],
)
DESTINATIONS = pd.DataFrame(
    [
        ("KP", "EMBARGOED", "UN arms embargo"),
        ("SY", "EMBARGOED", "EU restrictive measures"),
        ("IR", "EMBARGOED", "UN Security Council resolutions"),
    ],
    columns=["country", "tier", "reason"],
)
TERMS = pd.DataFrame(
    [("thionyl chloride", "281217", "1C350"), ("uranium oxide", "284410", "0C001"), ("dates", "080410", "")],
    columns=["term", "hs_code", "control_code"],
)
LICENCE_COLUMNS = [
    "licence_ref", "version", "status", "holder_id", "issued_at", "valid_until", "control_codes",
    "destination_countries", "quantity", "unit",
]  # fmt: skip


def t(day: int, hour: int = 8) -> pd.Timestamp:
    return pd.Timestamp(f"2026-09-{day:02d}T{hour:02d}:00:00Z")


class Ledger:
    """Movements, customs items and counts added one by one, for one zone (AE) and operator 1."""

    def __init__(self):
        self.movements: list[dict] = []
        self.entries: list[dict] = []
        self.counts: list[dict] = []
        self.licences: list[dict] = []
        self.holds: list[dict] = []
        self.aeo: dict[int, str] = {}

    def move(self, kind: str, lot: str, qty: float, day: int, **fields) -> "Ledger":
        n = len(self.movements) + 1
        row = dict.fromkeys(MOVEMENT_COLUMNS)
        row |= {
            "id": n, "operator_id": 1, "zone_id": 1, "movement_ref": fields.pop("ref", f"M{n}"), "movement_type": kind,
            "occurred_at": t(day, fields.pop("hour", 8)), "lot_ref": lot, "hs_code": fields.pop("hs", "0810900000"),
            "quantity": round(qty * 1_000_000), "unit": fields.pop("unit", "KGM"),
        }  # fmt: skip
        row["recorded_at"] = row["occurred_at"]
        self.movements.append(row | fields)
        return self

    def declare(self, direction: str, ref: str, lot: str | None, qty: float, day: int, **fields) -> "Ledger":
        row = dict.fromkeys(ENTRY_COLUMNS)
        row |= {
            "id": len(self.entries) + 1, "declaration_ref": ref, "item_no": fields.pop("item", 1),
            "version": fields.pop("version", 1), "direction": direction, "status": fields.pop("status", "ACCEPTED"),
            "lodged_at": t(day, fields.pop("hour", 7)), "zone_id": 1, "operator_id": 1, "lot_ref": lot,
            "hs_code": fields.pop("hs", "08109000"), "quantity": round(qty * 1_000_000),
            "unit": fields.pop("unit", "KGM"),
        }  # fmt: skip
        self.entries.append(row | fields)
        return self

    def admit(self, lot: str, qty: float, day: int = 1, ref: str | None = None, **fields) -> "Ledger":
        """An admission booked by the operator and declared by customs, consistently."""
        ref = ref or f"AD-{lot}"
        hs = fields.pop("hs", "0810900000")
        self.declare("ADMISSION", ref, lot, qty, day, hs=hs[:8], origin_country="KR", **fields)
        return self.move("ADMISSION", lot, qty, day, customs_ref=ref, hs=hs, **fields)

    def remove(
        self, lot: str, qty: float, day: int = 10, ref: str | None = None, to: str = "DE", licence: str | None = None,
        procedure: str = "RE_EXPORT", **fields,
    ) -> "Ledger":  # fmt: skip
        """A removal booked and declared consistently; ``licence`` is the customs item's licence_ref."""
        ref = ref or f"RE-{lot}-{day}"
        hs = fields.pop("hs", "0810900000")
        hour = fields.pop("hour", 8)
        self.declare("REMOVAL", ref, lot, qty, day, hs=hs[:8], destination_country=to, procedure=procedure,
                     licence_ref=licence, hour=hour - 1)  # fmt: skip
        return self.move("REMOVAL", lot, qty, day, customs_ref=ref, hs=hs, destination_country=to, hour=hour, **fields)

    def licence(self, ref: str, version: int = 1, **fields) -> "Ledger":
        """A licence for operator 1, VALID in September 2026, for 1C202 to DE, with no quantity."""
        row = {
            "licence_ref": ref, "version": version, "status": "VALID", "holder_id": 1, "issued_at": "2026-09-01",
            "valid_until": "2026-09-30", "control_codes": "1C202", "destination_countries": "DE", "quantity": None,
            "unit": None,
        }  # fmt: skip
        self.licences.append(row | fields)
        return self

    def hold(self, lot: str, starts: pd.Timestamp, released: pd.Timestamp | None = None) -> "Ledger":
        self.holds.append({"hold_id": len(self.holds) + 1, "operator_id": 1, "lot_ref": lot, "starts_at": starts,
                           "released_at": released, "placed_by": "auditor1"})  # fmt: skip
        return self

    def count(self, lot: str, qty: float, day: int) -> "Ledger":
        return self.move("COUNT", lot, qty, day)

    def inputs(self) -> Inputs:
        movements = pd.DataFrame(self.movements, columns=MOVEMENT_COLUMNS)
        entries = pd.DataFrame(self.entries, columns=[*ENTRY_COLUMNS, "origin_country"])
        counts = pd.DataFrame(
            self.counts, columns=["operator_id", "lot_ref", "occurred_at", "quantity", "unit", "count_ref"]
        )
        zones = pd.DataFrame([(1, "AE", "Asia/Dubai")], columns=["zone_id", "country", "timezone"])
        licences = pd.DataFrame(self.licences, columns=LICENCE_COLUMNS)
        holds = pd.DataFrame(
            self.holds, columns=["hold_id", "operator_id", "lot_ref", "starts_at", "released_at", "placed_by"]
        )
        operators = pd.DataFrame(
            [(1, "OP1", self.aeo.get(1)), (2, "OP2", self.aeo.get(2))], columns=["operator_id", "code", "aeo"]
        )
        return Inputs(movements, entries, counts, CONTROLS, DESTINATIONS, zones, licences=licences, holds=holds,
                      terms=TERMS, operators=operators)  # fmt: skip
