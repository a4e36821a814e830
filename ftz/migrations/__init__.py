"""Alembic migrations: the only way the schema is created or changed."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine``, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema of ``engine``'s database to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def schema_problem(engine: Engine) -> str | None:
    """Why the database cannot serve this version (unreachable, or schema not at head), or None."""
    try:
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # any failure to reach the database means not ready
        return f"the database cannot be reached: {type(exc).__name__}"
    if current != head:
        return f"the database schema is at {current}, this version needs {head}: run `ftz db upgrade`"
    return None
