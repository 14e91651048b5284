"""Cross-cutting HTTP guards: security headers, body size limit, rate limits, no stack traces."""
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.engine import Database
from domain.security_models import RateCounter

log = logging.getLogger("fundwatch.http")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make Chromium send Origin: null on our own forms
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


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


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def install(app: FastAPI, *, max_body_bytes: int) -> None:
    """Headers on every answer, 413 for oversized bodies, a plain 500 without internals."""
    app.add_middleware(Guard, max_body_bytes=max_body_bytes)


class Guard:
    """The guards as plain ASGI middleware (BaseHTTPMiddleware would cost a task and a stream per request)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refusal = self._refusal(Request(scope))
        if refusal is not None:
            return await _with_headers(refusal)(scope, receive, send)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:  # logged with its trace server-side; the user sees no internals
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if started:
                raise
            failure = PlainTextResponse("系统内部错误，请稍后重试或联系管理员", status_code=500)
            await _with_headers(failure)(scope, receive, send)

    def _refusal(self, request: Request) -> Response | None:
        """413 for a body over the limit, 403 for a cross-site change; None lets the request through."""
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            limit_mb = self.max_body_bytes // (1024 * 1024)
            return JSONResponse({"detail": f"请求体过大（上限 {limit_mb} MB）"}, status_code=413)
        if _cross_site(request):
            return PlainTextResponse("跨站请求被拒绝（CSRF 防护）", status_code=403)
        return None


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _cross_site(request: Request) -> bool:
    """CSRF guard: a cookie-authenticated change whose Origin (else Referer) names another site is
    refused. Browsers send Origin on every cross-site POST; a request with neither header is not a
    browser's forged request. Bearer-token API calls carry no ambient credential and are not affected."""
    if request.method not in UNSAFE or "fw_session" not in request.cookies:
        return False
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return False
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    host = source.split("://", 1)[-1].split("/", 1)[0]
    return host != request.headers.get("host")


def _with_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


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
