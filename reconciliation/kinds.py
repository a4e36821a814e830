"""The discrepancy kinds (contract sections 4 and 9): one registry read by the engine, risk,
the database's constraints, the pages, the exports and the README.

``source`` names the family of rules that raises a kind: a run closes only the findings of
the sources it evaluated, so that rule families added later (licences, screening, profiles,
transfers) never close each other's findings. ``askable`` says whether an auditor may put
a finding of the kind to the operator as a question: a kind that would tip off a suspect
(a denied party, a risk profile) never is.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One kind of discrepancy and what the rest of ftz needs to know about it."""

    name: str
    label: str
    weight: int  # risk points the kind carries by itself
    # Strategic goods' findings never below HIGH: goods that disappeared or changed class or
    # destination (section 4), and every second-edition kind (section 9).
    strategic_floor: bool
    fills: tuple[str, ...]  # the references it names: lot_ref, customs_ref, process_ref
    source: str = "reconciliation"
    askable: bool = True
    quantities: bool = True  # expected and found are quantities (else codes, countries or times)
    # the finding's identity holds its lot and declaration (else it is one per its ``extra``, and
    # names whichever record is latest: a denied party is one per operator, name and entry)
    anchored: bool = True


_LOT, _LOT_CUSTOMS = ("lot_ref",), ("lot_ref", "customs_ref")

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("UNRECORDED_ADMISSION", "Customs admitted, operator never booked in", 30, True, _LOT_CUSTOMS),
        Kind("UNDECLARED_ADMISSION", "Booked in without a customs admission", 20, False, _LOT_CUSTOMS),
        Kind("UNDECLARED_REMOVAL", "Removed without a customs removal", 35, True, _LOT_CUSTOMS),
        Kind("UNRECORDED_REMOVAL", "Customs removal the operator never booked out", 20, False, _LOT_CUSTOMS),
        Kind("QUANTITY_MISMATCH", "Quantities disagree", 15, False, _LOT_CUSTOMS),
        Kind("CLASSIFICATION_MISMATCH", "HS subheadings disagree", 30, True, _LOT_CUSTOMS, quantities=False),
        Kind("DESTINATION_CHANGE", "Destination changed", 30, True, _LOT_CUSTOMS, quantities=False),
        Kind("STOCK_SHORTAGE", "Count below the book balance", 30, True, _LOT),
        Kind("STOCK_OVERAGE", "Count above the book balance", 15, False, _LOT),
        Kind("NEGATIVE_BALANCE", "More left the lot than entered it", 30, True, _LOT),
        Kind("PROCESSING_LOSS", "Processing outputs short of inputs", 25, True, ("lot_ref", "process_ref")),
        Kind("LATE_RECORD", "Booked long after the customs event", 5, False, _LOT_CUSTOMS, quantities=False),
        Kind("WRITE_OFF", "Written off the books without a declaration", 30, True, _LOT_CUSTOMS),
        Kind(
            "UNLICENSED_STRATEGIC_REMOVAL", "Strategic removal without a valid licence", 40, True, _LOT_CUSTOMS,
            source="licences", quantities=False,
        ),
        Kind("DENIED_PARTY", "Party on a denied-party list", 40, True, _LOT_CUSTOMS, source="screening",
             askable=False, quantities=False, anchored=False),
        Kind("CONCEALMENT_SUSPECTED", "Strategic goods named under an innocent code", 35, True, _LOT_CUSTOMS,
             source="descriptions", askable=False, quantities=False),
        Kind("REMOVAL_UNDER_HOLD", "Removal from a held lot", 35, True, _LOT_CUSTOMS, source="holds"),
        Kind("RISK_PROFILE_HIT", "Hit by a risk profile", 20, True, _LOT_CUSTOMS, source="profiles",
             askable=False, quantities=False),
        Kind("TRANSFER_NOT_ARRIVED", "Transfer never admitted in the next zone", 35, True, _LOT_CUSTOMS,
             source="transfers"),
    )
}  # fmt: skip

NAMES = tuple(KINDS)
SOURCES = tuple(dict.fromkeys(k.source for k in KINDS.values()))
STRATEGIC_FLOOR = frozenset(k.name for k in KINDS.values() if k.strategic_floor)
QUANTITIES = frozenset(k.name for k in KINDS.values() if k.quantities)
NOT_ASKABLE = frozenset(k.name for k in KINDS.values() if not k.askable)
UNANCHORED = frozenset(k.name for k in KINDS.values() if not k.anchored)


def of_sources(sources: set[str] | frozenset[str] | tuple[str, ...]) -> list[str]:
    """The kinds that the given rule families raise."""
    return [k.name for k in KINDS.values() if k.source in sources]
