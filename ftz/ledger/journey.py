"""A consignment's journey across zones: the lots its goods were admitted as, zone by zone, linked
by transfers (a customs removal under procedure TRANSFER, continued by the admissions whose
``previous_ref`` names it), with dates, quantities, declarations and where the goods finally went.

What a caller sees of each zone's step follows its scope: an auditor of every zone sees all; an
auditor of some zones sees the other zones' steps only as far as a finding needs (zone code,
dates, quantities), never their operators, lots or declarations; an operator sees its own steps only.
"""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import or_, select
from sqlmodel import Session

from ftz.auth.models import Role
from ftz.auth.scope import Caller, Permission, operator_in_scope
from ftz.ledger.models import CustomsEntry
from ftz.zones.models import Operator, Zone

MAX_STEPS = 50  # a journey longer than this is cut (a cycle in the data ends sooner)


class Crossing(BaseModel):
    """Goods entering or leaving a zone under one customs item."""

    declaration_ref: str | None  # None where the caller may not see the other zone's records
    lodged_at: datetime
    quantity: Decimal
    unit: str
    procedure: str | None = None
    destination_country: str | None = None
    destination_zone: str | None = None
    previous_ref: str | None = None


class Step(BaseModel):
    """The goods in one zone, as one lot."""

    zone_code: str
    operator_code: str | None  # None: another zone's operator, out of the caller's scope
    lot_ref: str | None
    arrivals: list[Crossing]
    departures: list[Crossing]
    this: bool = False  # the lot the journey was asked for


class Journey(BaseModel):
    """Every zone the goods passed through, in the order they arrived, and where they went."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operator_code": "OP006", "lot_ref": "LOT0000629",
                    "steps": [
                        {"zone_code": "ZFX", "operator_code": "OP005", "lot_ref": "LOT0000624", "this": False,
                         "arrivals": [{"declaration_ref": "26AE00000625", "lodged_at": "2026-08-03T04:41:00Z",
                                       "quantity": "7064.49", "unit": "KGM"}],
                         "departures": [{"declaration_ref": "26AE00000627", "lodged_at": "2026-08-07T05:52:00Z",
                                         "quantity": "7062.936", "unit": "KGM", "procedure": "TRANSFER",
                                         "destination_country": "OM", "destination_zone": "ZFY"}]},
                        {"zone_code": "ZFY", "operator_code": "OP006", "lot_ref": "LOT0000629", "this": True,
                         "arrivals": [{"declaration_ref": "26OM00000630", "lodged_at": "2026-08-07T14:52:00Z",
                                       "quantity": "4280.139", "unit": "KGM", "previous_ref": "26AE00000627"}],
                         "departures": [{"declaration_ref": "26OM00000634", "lodged_at": "2026-08-13T05:11:00Z",
                                         "quantity": "7062.936", "unit": "KGM", "procedure": "RE_EXPORT",
                                         "destination_country": "JO"}]},
                    ],
                    "zones": ["ZFX", "ZFY"], "owners": 2, "final_destinations": ["JO"],
                }
            ]
        }
    )  # fmt: skip

    operator_code: str
    lot_ref: str
    steps: list[Step]
    zones: list[str]  # the zone codes in the order the goods passed through them
    owners: int  # how many operators held the goods on the way (of the steps shown)
    final_destinations: list[str]  # countries the goods left the last zone(s) for


def get(session: Session, *, caller: Caller, operator_code: str, lot_ref: str) -> Journey:
    """The journey of a lot's goods: back to where they were first admitted, on to where they went."""
    caller.require(Permission.READ)
    operator = operator_in_scope(session, caller, operator_code)
    start = (operator.id, lot_ref)
    lots = {start} | _walk(session, start, back=True) | _walk(session, start, back=False)
    items = _items(session, lots)
    names = dict(session.execute(select(Operator.id, Operator.code)).all())
    zone_codes = dict(session.execute(select(Zone.id, Zone.code)).all())
    steps, holders = [], set()
    for key in lots:
        own = [i for i in items if (i.operator_id, i.lot_ref) == key]
        if not own:
            continue
        shown = _sees(caller, own[0].operator_id, own[0].zone_id)
        if caller.role == Role.OPERATOR and not shown:
            continue  # an operator never sees another's records
        holders.add(key[0])
        steps.append(
            Step(
                zone_code=zone_codes.get(own[0].zone_id, "?"),
                operator_code=names.get(key[0]) if shown else None,
                lot_ref=key[1] if shown else None,
                arrivals=[_crossing(i, shown) for i in own if i.direction == "ADMISSION"],
                departures=[_crossing(i, shown) for i in own if i.direction == "REMOVAL"],
                this=key == start,
            )
        )
    steps.sort(key=_first_moment)
    finals = [d.destination_country for s in steps for d in s.departures if d.destination_country and not (
        d.procedure == "TRANSFER" and d.destination_zone in zone_codes.values())]  # fmt: skip
    return Journey(
        operator_code=operator.code,
        lot_ref=lot_ref,
        steps=steps,
        zones=list(dict.fromkeys(s.zone_code for s in steps)),
        owners=len(holders),
        final_destinations=sorted(set(finals)),
    )


def _walk(session: Session, start: tuple[int, str], *, back: bool) -> set[tuple[int, str]]:
    """The lots the goods came from (``back``) or went on to, through any number of transfers."""
    found: set[tuple[int, str]] = set()
    frontier = {start}
    for _ in range(MAX_STEPS):
        if not frontier:
            break
        items = _items(session, frontier)
        if back:
            refs = {i.previous_ref for i in items if i.direction == "ADMISSION" and i.previous_ref}
            linked = _in_force(session, CustomsEntry.declaration_ref.in_(refs)) if refs else []
            linked = [i for i in linked if i.direction == "REMOVAL" and i.procedure == "TRANSFER"]
        else:
            refs = {i.declaration_ref for i in items if i.direction == "REMOVAL" and i.procedure == "TRANSFER"}
            linked = _in_force(session, CustomsEntry.previous_ref.in_(refs)) if refs else []
            linked = [i for i in linked if i.direction == "ADMISSION"]
        step = {(i.operator_id, i.lot_ref) for i in linked if i.lot_ref} - found - {start}
        found |= step
        frontier = step
    return found


def _items(session: Session, lots: set[tuple[int, str]]) -> list[CustomsEntry]:
    """The customs items in force of the given lots."""
    if not lots:
        return []
    return _in_force(session, or_(*(
        (CustomsEntry.operator_id == o) & (CustomsEntry.lot_ref == lot) for o, lot in sorted(lots))))  # fmt: skip


def _in_force(session: Session, condition) -> list[CustomsEntry]:
    """Items matching ``condition``, each in its highest version, invalidated ones left out."""
    rows = session.execute(select(CustomsEntry).where(condition).order_by(CustomsEntry.version)).scalars()
    latest = {(i.declaration_ref, i.item_no): i for i in rows}
    return sorted((i for i in latest.values() if i.status != "INVALIDATED"), key=lambda i: (i.lodged_at, i.id))


def _sees(caller: Caller, operator_id: int, zone_id: int) -> bool:
    """Whether the caller may see a step's operator, lot and declarations."""
    if caller.role == Role.OPERATOR:
        return caller.operator_id == operator_id
    return caller.sees_everything or (caller.zone_ids is not None and zone_id in caller.zone_ids)


def _crossing(item: CustomsEntry, shown: bool) -> Crossing:
    return Crossing(
        declaration_ref=item.declaration_ref if shown else None,
        lodged_at=item.lodged_at,
        quantity=item.quantity,
        unit=item.unit,
        procedure=item.procedure,
        destination_country=item.destination_country,
        destination_zone=item.destination_zone,
        previous_ref=item.previous_ref if shown else None,
    )


def _first_moment(step: Step) -> datetime:
    moments = [c.lodged_at for c in [*step.arrivals, *step.departures]]
    return min(moments)
