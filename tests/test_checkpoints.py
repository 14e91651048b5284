"""db.checkpoints: SQLite's log is copied back by a thread of its own, not inside a writer's COMMIT."""
import struct
import time
from pathlib import Path

import pytest

from db.engine import Database

PAGES = 1_500  # past SQLite's default automatic checkpoint (1,000 pages)


@pytest.fixture
def database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'log.db'}")
    with db.write() as session:
        session.connection().exec_driver_sql("CREATE TABLE blob_rows (body BLOB)")
    yield db
    db.dispose()


def write_pages(db: Database, pages: int) -> None:
    """About `pages` pages of log, in write transactions of 50 pages each."""
    for _ in range(pages // 50):
        with db.write() as session:
            session.connection().exec_driver_sql("INSERT INTO blob_rows VALUES (zeroblob(?))", (50 * 4096,))


def log_pages(db: Database) -> tuple[int, int]:
    """(pages in the log, pages of it copied back), read from the shared wal-index without checkpointing:
    mxFrame and nBackfill, native-endian, at offsets 16 and 96 of the -shm file (sqlite.org/walformat.html)."""
    shm = Path(f"{db.engine.url.database}-shm").read_bytes()
    return struct.unpack_from("=I", shm, 16)[0], struct.unpack_from("=I", shm, 96)[0]


def test_writers_leave_the_log_to_the_checkpointer(database):
    database._checkpointer.stop()  # nobody copies the log back now, unless a writer does it by itself
    database._checkpointer = None
    write_pages(database, PAGES)
    in_log, copied = log_pages(database)
    assert in_log >= PAGES and copied == 0  # by default a writer would have checkpointed at 1,000 pages


def test_the_checkpointer_copies_the_log_back(database):
    write_pages(database, PAGES)
    in_log, copied = log_pages(database)
    deadline = time.monotonic() + 30  # waits for the thread's rounds; not a timing goal
    while copied < in_log and time.monotonic() < deadline:
        time.sleep(0.05)
        in_log, copied = log_pages(database)
    assert 0 < copied == in_log  # only the thread checkpoints: the writers stay below their backstop


def test_dispose_stops_the_thread(database):
    thread = database._checkpointer._thread
    assert thread.is_alive()
    database.dispose()
    assert not thread.is_alive()
