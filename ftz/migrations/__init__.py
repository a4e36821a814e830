"""Alembic migrations: the only way the schema is created or changed."""

from pathlib import Path

from alembic import command
from alembic.config import Config
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
