"""Alembic migrations, run programmatically (no create_all in production paths)."""
from pathlib import Path

from alembic import command
from alembic.config import Config

from db.engine import ensure_sqlite_dir

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision`."""
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)
