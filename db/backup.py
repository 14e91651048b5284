"""Online backup and restore of the SQLite database (PostgreSQL: use pg_dump / pg_restore, see README)."""
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from db.engine import SHARED, revision_path
from db.shared_revision import SharedRevision


class BackupError(Exception):
    """Backup or restore refused, with the reason."""


def sqlite_path(url: str) -> Path:
    if not url.startswith("sqlite"):
        raise BackupError("fundwatch backup/restore handle SQLite; for PostgreSQL use pg_dump and pg_restore")
    return Path(make_url(url).database)


def backup(url: str, target: Path) -> int:
    """Copy the live database to `target` with SQLite's online backup API (consistent while in use).
    Returns the number of pages copied."""
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
    dst.close()
    src.close()
    return pages


def restore(url: str, source: Path) -> None:
    """Replace the database with a backup after checking the backup's integrity. Stop the system first."""
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    try:
        with sqlite3.connect(source) as check:
            result = check.execute("PRAGMA integrity_check").fetchone()[0]
        check.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a usable database: {exc}") from None
    if result != "ok":
        raise BackupError(f"backup failed its integrity check: {result}")
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    for name in SHARED:  # the restored rows may differ: what processes remember of them is read again
        SharedRevision(revision_path(str(target), name)).move()
