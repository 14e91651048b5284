"""SQLite online backup and restore through the CLI; the restored audit chain verifies."""
import json
import os
import subprocess
import sys

from sqlalchemy import text

from db.engine import Database
from tests.helpers import register, send

FUNDWATCH = os.path.join(os.path.dirname(sys.executable), "fundwatch")


def run(*args, url: str) -> subprocess.CompletedProcess:
    return subprocess.run([FUNDWATCH, *args], env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)


def test_backup_then_restore_brings_back_the_data_and_the_chain_verifies(runtime, users, database, tmp_path):
    if not database.is_sqlite:
        assert run("backup", str(tmp_path / "x.db"), url=database.url).returncode == 2  # pg_dump is the tool
        return
    tip = register(runtime, users["desk"])
    send(runtime, users["chief"], tip.id, "accept")
    target = tmp_path / "backups" / "fundwatch-backup.db"
    made = run("backup", str(target), url=database.url)
    assert made.returncode == 0, made.stderr
    assert run("backup", str(target), url=database.url).returncode == 2  # never overwrites a backup
    with database.engine.begin() as conn:  # an accident after the backup
        conn.execute(text("DELETE FROM deadline"))
    database.dispose()
    marks_before = {name: revision.read() for name, revision in database.revisions.items()}
    restored = run("restore", str(target), url=database.url)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    # what processes remember of accounts and the calendar is read again
    assert all(revision.read() != marks_before[name] for name, revision in database.revisions.items())
    assert json.loads(restored.stdout.splitlines()[-1]) == {"intact": True, "rows": 2}
    fresh = Database(database.url)
    with fresh.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM deadline")).scalar() > 0
    fresh.dispose()


def test_a_corrupt_backup_is_refused(database, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    result = run("restore", str(bad), url=database.url)
    assert result.returncode == 2 and "error" in result.stderr
