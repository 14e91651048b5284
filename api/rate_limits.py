"""Rate limits shared by every API worker: log-in throttling and receipt-code look-ups (per client and for
everyone together), counted in the database."""
import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from api.guards import client_key
from db.engine import Database
from domain.security_models import RateCounter


class CounterStore:
    """Rate counters in the database, so every worker process of one deployment shares them.

    Keys are HMACs of (action, client) under the secret key: the table never holds receipt codes,
    passwords or a client's address in the clear. Each change is one short write transaction (SQLite:
    BEGIN IMMEDIATE; PostgreSQL: an atomic upsert), and expired rows are purged now and then."""

    PURGE_EVERY = timedelta(minutes=5)

    def __init__(self, database: Database, clock: Callable[[], datetime], secret: str) -> None:
        self.database, self.clock, self._secret = database, clock, secret.encode()
        self._purged_at: datetime | None = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One short write; ended windows are purged afterwards, now and then, in a transaction of their own."""
        with self.database.write() as session:
            yield session
        self._purge_if_due()

    def key(self, scope: str, key: str) -> str:
        return hmac.new(self._secret, f"{scope}|{key}".encode(errors="surrogatepass"), hashlib.sha256).hexdigest()

    def add(self, session: Session, key: str, window: timedelta) -> int:
        """Count a hit and return the window's count; a window opens at the first hit after the last one ended."""
        now, table = self.clock(), RateCounter.__table__
        dialect = session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        expired = table.c.window_end <= now
        upsert = insert.values(key=key, window_end=now + window, count=1).on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"window_end": case((expired, insert.excluded.window_end), else_=table.c.window_end),
                  "count": case((expired, 1), else_=table.c.count + 1)},
        ).returning(table.c.count)
        return session.connection().execute(upsert).scalar_one()

    def count(self, key: str) -> int:
        table = RateCounter.__table__
        query = select(table.c.count).where(table.c.key == key, table.c.window_end > self.clock())
        with self.database.read() as session:
            return session.connection().execute(query).scalar() or 0

    def remove(self, key: str) -> None:
        with self.transaction() as session:
            session.connection().execute(delete(RateCounter.__table__).where(RateCounter.__table__.c.key == key))

    def _purge_if_due(self) -> None:
        """At most every few minutes per process; rows another transaction holds are skipped (PostgreSQL), so
        the purge never waits on, nor deadlocks with, a hit. Cheap: window_end is indexed."""
        now, table = self.clock(), RateCounter.__table__
        if self._purged_at is not None and now - self._purged_at < self.PURGE_EVERY:
            return
        self._purged_at = now
        ended = select(table.c.key).where(table.c.window_end <= now).with_for_update(skip_locked=True)
        with self.database.write() as session:
            session.connection().execute(delete(table).where(table.c.key.in_(ended.scalar_subquery())))


class RateLimiter:
    """`limit` hits per `window_s` seconds per key, for one guarded action (`scope`), shared by all workers."""

    def __init__(self, store: CounterStore, scope: str, limit: int, window_s: float) -> None:
        self.store, self.scope, self.limit, self.window = store, scope, limit, timedelta(seconds=window_s)

    def hit(self, key: str) -> bool:
        """Count a hit; False when the key is over its limit (refused hits do not extend the window)."""
        with self.store.transaction() as session:
            return self.hit_in(session, key)

    def hit_in(self, session: Session, key: str) -> bool:
        """`hit` inside the caller's transaction."""
        return self.store.add(session, self.store.key(self.scope, key), self.window) <= self.limit

    def blocked(self, key: str) -> bool:
        """Whether the key has used up its window (checked before an attempt)."""
        return self.store.count(self.store.key(self.scope, key)) >= self.limit

    def record(self, key: str) -> None:
        with self.store.transaction() as session:
            self.store.add(session, self.store.key(self.scope, key), self.window)

    def reset(self, key: str) -> None:
        self.store.remove(self.store.key(self.scope, key))


class Limits:
    """The rate limiters the app uses (one per guarded action), counted in the shared database."""

    def __init__(self, login: RateLimiter, receipt_client: RateLimiter, receipt_global: RateLimiter) -> None:
        self.login, self.receipt_client, self.receipt_global = login, receipt_client, receipt_global

    @classmethod
    def from_settings(cls, settings, database: Database, clock: Callable[[], datetime]) -> "Limits":
        store = CounterStore(database, clock, settings.secret_key)
        return cls(RateLimiter(store, "login", settings.login_failures_per_15min, 15 * 60),
                   RateLimiter(store, "receipt-client", settings.receipt_lookups_per_min_client, 60),
                   RateLimiter(store, "receipt-global", settings.receipt_lookups_per_min_global, 60))

    def allow_receipt_lookup(self, request: Request) -> bool:
        """Receipt-code look-ups are limited per client and for everyone together (one transaction)."""
        with self.receipt_client.store.transaction() as session:
            return (self.receipt_client.hit_in(session, client_key(request))
                    and self.receipt_global.hit_in(session, "*"))
