"""A name screened against the denied-party list in force, as auditors read it."""

from datetime import date

from sqlmodel import SQLModel

_KOMID = "KOREA MINING DEVELOPMENT TRADING CORPORATION"
_ENTRY = {
    "entry_id": "KPe.001", "name": _KOMID, "aliases": "KOMID;CHANGGWANG SINYONG CORPORATION", "kind": "ENTITY",
    "countries": "Democratic People's Republic of Korea", "list": "UN Security Council (DPRK)",
    "reference": "KPe.001", "listed_on": "2009-04-24",
}  # fmt: skip
_EXAMPLE = {
    "name": "Korea Mining Development Trading Corp.", "normalised": "development korea mining", "list_version": 7,
    "matches": [{"score": 100, "matched": _KOMID, "matched_words": "development korea mining", "entry": _ENTRY}],
}  # fmt: skip


class PartyEntry(SQLModel):
    """One entry of the list, as its publisher wrote it."""

    entry_id: str
    name: str
    aliases: str | None = None  # separated by ";"
    kind: str
    countries: str | None = None
    list: str | None = None
    reference: str | None = None
    listed_on: date | None = None


class PartyMatch(SQLModel):
    """An entry the name matches: the score (0-100), the name or alias that matched, the words in common."""

    score: int
    matched: str
    matched_words: str
    entry: PartyEntry


class Screening(SQLModel):
    """A name, as matching reads it, and the entries it matches, best first."""

    model_config = {"json_schema_extra": {"examples": [_EXAMPLE]}}

    name: str
    normalised: str
    list_version: int | None  # None: no parties list is loaded
    matches: list[PartyMatch]
