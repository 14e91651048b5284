"""Engine set-up for SQLite (default, embedded) and PostgreSQL.

SQLite allows one writer at a time. Writes go through `Database.write()`, which opens the transaction
with BEGIN IMMEDIATE under a process-wide lock, so concurrent requests queue instead of failing with
"database is locked" (other processes wait on busy_timeout). The lock is taken at the transaction's
first statement, not when the block is entered, so CPU work a use case does before touching the
database (hashing a receipt code, sealing an identity) does not hold up the other writers.
PostgreSQL needs neither: row locks (SELECT ... FOR UPDATE) serialize conflicting transitions there.
"""
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from db.checkpoints import BACKSTOP_PAGES, Checkpointer
from db.shared_revision import SharedRevision
from settings import get_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_POOL_SIZE = 40  # anyio's default worker-thread limit, which serves FastAPI's sync routes


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file so a fresh checkout needs no manual step."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(url: str) -> Engine:
    """A SQLite engine in WAL mode whose write transactions begin IMMEDIATE."""
    ensure_sqlite_dir(url)
    # A pool as large as the server's thread pool: connections are reused, never reopened per request (each
    # open runs the PRAGMAs below), and a request never waits for a free connection.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=SQLITE_POOL_SIZE,
                           max_overflow=SQLITE_POOL_SIZE)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (pysqlite's own is broken)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")  # db.checkpoints copies the log back
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        lock = conn.info.get("writer")
        if lock is None:
            conn.exec_driver_sql("BEGIN")
            return
        if not conn.info.get("locked"):  # held until Database.write gives the connection back
            lock.acquire()
            conn.info["locked"] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class FairLock:
    """A lock granted in arrival order. With a plain threading.Lock the releasing thread often takes it
    straight back, so under load a few writers wait many turns (the long tail of request latency)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._queue: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._queue.append(turn)
        turn.acquire()  # released by the holder handing the lock over (it stays held)

    def release(self) -> None:
        with self._mutex:
            if self._queue:
                self._queue.popleft().release()
            else:
                self._held = False


class Database:
    """One database: an engine plus read and write sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(url)
        else:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        self._write_lock = FairLock() if self.is_sqlite else None
        path = make_url(url).database if self.is_sqlite else None
        on_disk = bool(path) and path != ":memory:"
        self._checkpointer = Checkpointer(path) if on_disk else None
        # Moved after every committed change to what they name (services.revisions), so a process may remember
        # what it read while they stand. Only beside a SQLite file: every process using it runs on this machine.
        self.revisions = {name: SharedRevision(revision_path(path, name)) for name in SHARED} if on_disk else {}

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads; nothing it does is committed."""
        with Session(self.engine, expire_on_commit=False, info={"revisions": self.revisions}) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One use case = one transaction: commit on success, roll back on any error. On SQLite the
        writer lock is taken by the first statement (`_on_begin`) and released once the connection,
        committed or rolled back, is back in the pool."""
        conn = self.engine.connect()
        conn.info["writer"] = self._write_lock
        try:
            with Session(bind=conn, expire_on_commit=False, info={"revisions": self.revisions}) as session:
                yield session
                session.commit()
        finally:
            conn.info.pop("writer", None)
            locked = conn.info.pop("locked", False)
            try:
                conn.close()
            finally:
                if locked:
                    self._write_lock.release()

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()


# The shared revisions kept beside a SQLite file; services.revisions moves them.
SHARED = ("accounts", "calendar", "institutions")


def revision_path(database_path: str, name: str) -> Path:
    return Path(f"{database_path}-{name}")  # beside SQLite's own -wal and -shm files


_database: Database | None = None


def get_database() -> Database:
    """The process-wide database named by the settings."""
    global _database
    if _database is None:
        _database = Database(get_settings().database_url)
    return _database


def reset_database(url: str | None = None) -> Database:
    """Replace the process-wide database (tests, CLI --database)."""
    global _database
    if _database is not None:
        _database.dispose()
    _database = Database(url or get_settings().database_url)
    return _database
