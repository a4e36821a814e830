"""Every table's model, imported in one place so that SQLModel's metadata knows them all."""

import importlib

MODULES = (
    "ftz.zones.models",
    "ftz.ingest.models",
    "ftz.ledger.models",
    "ftz.reference.models",
    "ftz.holds.models",
    "ftz.licences.models",
    "ftz.parties.models",
    "ftz.profiles.models",
    "ftz.examinations.models",
    "ftz.discrepancies.models",
    "ftz.auth.models",
    "ftz.audit.models",
    "ftz.jobstore",
)


def load_all() -> None:
    """Import every module that defines tables (Alembic and tests need the full metadata)."""
    for name in MODULES:
        importlib.import_module(name)
