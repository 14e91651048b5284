"""SQLite WAL checkpoints off the writers' path.

By default SQLite copies the write-ahead log back into the database file inside the COMMIT that takes the
log past 1,000 pages: here one write transaction in about 40 then waits for that copy and its two fsyncs
(about 14 ms), holding the writer lock, so every writer queued behind it waits too. SQLite's WAL notes
suggest turning that off and checkpointing in a separate thread: a PASSIVE checkpoint never blocks readers
or writers (and runs without the GIL). Writers keep a far larger automatic threshold as a backstop, for a
process that has no checkpointer (a CLI command) or a checkpointer that falls behind.
"""
import logging
import sqlite3
import threading

BACKSTOP_PAGES = 20_000  # ~80 MB of log before a writer checkpoints by itself
INTERVAL_S = 0.25  # at ~600 transactions/s of ~17 pages each, ~2,500 pages per interval

log = logging.getLogger(__name__)


def checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """One PASSIVE checkpoint: (busy, pages in the log, pages copied back)."""
    return tuple(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())


class Checkpointer:
    """A daemon thread checkpointing one database file every INTERVAL_S until stopped."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqlite-checkpoints {path}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            try:
                checkpoint(self._conn)
            except sqlite3.Error as error:  # the next round tries again; writers' backstop meanwhile
                log.warning("WAL checkpoint failed: %s", error)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()
