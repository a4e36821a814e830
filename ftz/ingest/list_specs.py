"""The columns of each reference list's file, checked like the contract's files."""

from ftz.ingest.schema import Column, FileSpec
from ftz.reference.models import ListKind, Strength, Tier

REGIMES = ("WASSENAAR", "WASSENAAR_ML", "NSG", "MTCR", "AUSTRALIA_GROUP", "CWC", "NATIONAL", "OTHER")

HS = FileSpec(
    columns=(
        Column("section", "text", max_length=8),
        Column("hscode", "digits", required=True),
        Column("description", "text", required=True, max_length=1000),
        Column("parent", "text", max_length=10),
        Column("level", "whole", required=True),
    ),
    type_column="level",
    key=("hscode",),
)

CONTROLS = FileSpec(
    columns=(
        Column("hs_code", "hs", required=True),
        Column("control_code", "text", required=True, max_length=32),
        Column("regime", "choice", required=True, choices=REGIMES),
        Column("strength", "choice", required=True, choices=tuple(s.value for s in Strength)),
        Column("description", "text", max_length=1000),
        Column("source", "text", required=True, max_length=500),
        Column("source_date", "date", required=True),
    ),
    type_column="strength",
    key=("hs_code", "control_code"),
)

DESTINATIONS = FileSpec(
    columns=(
        Column("country", "country", required=True),
        Column("tier", "choice", required=True, choices=tuple(t.value for t in Tier)),
        Column("reason", "text", required=True, max_length=1000),
        Column("source", "text", required=True, max_length=500),
        Column("source_date", "date", required=True),
    ),
    type_column="tier",
    key=("country", "reason"),
)

TERMS = FileSpec(
    columns=(
        Column("term", "text", required=True, max_length=200),
        Column("hs_code", "hs", required=True),
        Column("control_code", "text", required=True, max_length=32),
        Column("source", "text", required=True, max_length=500),
    ),
    type_column="control_code",
    key=("term", "hs_code", "control_code"),
)

# The ftz CSV of a denied-party list (contract section 7); ``ftz.ingest.parties_file`` reads the
# UN Security Council XML and OpenSanctions' targets.simple.csv into the same columns.
PARTIES = FileSpec(
    columns=(
        Column("entry_id", "text", required=True, max_length=64),
        Column("name", "text", required=True, max_length=500),
        Column("aliases", "text", max_length=20_000),
        Column("kind", "choice", choices=("ENTITY", "PERSON"), default="ENTITY"),
        Column("countries", "text", max_length=500),
        Column("list", "text", max_length=200),
        Column("reference", "text", max_length=200),
        Column("listed_on", "date"),
    ),
    type_column="kind",
    key=("entry_id",),
)

SPECS = {
    ListKind.HS: HS, ListKind.CONTROLS: CONTROLS, ListKind.DESTINATIONS: DESTINATIONS, ListKind.TERMS: TERMS,
    ListKind.PARTIES: PARTIES,
}  # fmt: skip

# The lists ftz ships, in fixtures/reference/, and how their versions are described.
SHIPPED = {
    ListKind.HS: (
        "hs2022.csv",
        "HS 2022 nomenclature: UN Comtrade classification as packaged by the Frictionless "
        "'harmonized-system' data package 2022.0 (snapshot 2024-10-25), ODC-PDDL-1.0",
    ),
    ListKind.CONTROLS: (
        "controls.csv",
        "ftz strategic correlation compiled 2026-11-24 from public sources (each row names its own)",
    ),
    ListKind.DESTINATIONS: (
        "destinations.csv",
        "ftz destination risk compiled 2026-11-24 from UN Security Council and EU measures (each row names its own)",
    ),
    ListKind.TERMS: (
        "terms.csv",
        "ftz strategic terms derived 2026-12-01 from the shipped controls list (each row names its own)",
    ),
}
