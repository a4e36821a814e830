"""Every table's model, imported in one place so that SQLModel's metadata knows them all."""


def load_all() -> None:
    """Import every module that defines tables (Alembic and tests need the full metadata)."""
    import ftz.ingest.models
    import ftz.ledger.models
    import ftz.zones.models  # noqa: F401
