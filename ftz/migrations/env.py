"""Alembic environment: migrates the engine handed over by ftz, or the configured database."""

from alembic import context
from sqlmodel import SQLModel

from ftz.database import get_engine
from ftz.models import load_all

load_all()
target_metadata = SQLModel.metadata

engine = context.config.attributes.get("engine") or get_engine()
with engine.connect() as connection:
    # render_as_batch lets ALTER TABLE work on SQLite, which rebuilds tables to alter them.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
