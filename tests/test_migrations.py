"""The schema comes from the migrations alone, and they match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from ftz.models import load_all


def test_migrations_build_exactly_the_schema_the_models_describe(engine):
    load_all()
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert differences == []
