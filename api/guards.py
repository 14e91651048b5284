"""Cross-cutting HTTP guards: security headers, body size limit, rate limits, no stack traces."""
import logging
import threading
import time
from collections import deque

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

log = logging.getLogger("fundwatch.http")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make Chromium send Origin: null on our own forms
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class RateLimiter:
    """Sliding-window counts per key (in this process): `limit` hits per `window_s` seconds."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _window(self, key: str, now: float) -> deque:
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] > self.window_s:
            hits.popleft()
        return hits

    def hit(self, key: str) -> bool:
        """Count a hit; False when the key is over its limit (the hit is then not counted)."""
        now = time.monotonic()
        with self._lock:
            hits = self._window(key, now)
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def blocked(self, key: str) -> bool:
        """Whether the key has used up its window (checked before an attempt)."""
        with self._lock:
            return len(self._window(key, time.monotonic())) >= self.limit

    def record(self, key: str) -> None:
        with self._lock:
            self._window(key, time.monotonic()).append(time.monotonic())

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def install(app: FastAPI, *, max_body_bytes: int) -> None:
    """Headers on every answer, 413 for oversized bodies, a plain 500 without internals."""

    @app.middleware("http")
    async def _guard(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body_bytes):
            return _with_headers(JSONResponse({"detail": f"请求体过大（上限 {max_body_bytes // (1024 * 1024)} MB）"},
                                              status_code=413))
        if _cross_site(request):
            return _with_headers(PlainTextResponse("跨站请求被拒绝（CSRF 防护）", status_code=403))
        try:
            response = await call_next(request)
        except Exception:  # logged with its trace server-side; the user sees no internals
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            response = PlainTextResponse("系统内部错误，请稍后重试或联系管理员", status_code=500)
        return _with_headers(response)


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
    """The rate limiters the app uses (one per guarded action)."""

    def __init__(self, login: RateLimiter, receipt_client: RateLimiter, receipt_global: RateLimiter) -> None:
        self.login, self.receipt_client, self.receipt_global = login, receipt_client, receipt_global

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(RateLimiter(settings.login_failures_per_15min, 15 * 60),
                   RateLimiter(settings.receipt_lookups_per_min_client, 60),
                   RateLimiter(settings.receipt_lookups_per_min_global, 60))

    def allow_receipt_lookup(self, request: Request) -> bool:
        """Receipt-code look-ups are limited per client and for everyone together."""
        return self.receipt_client.hit(client_key(request)) and self.receipt_global.hit("*")
