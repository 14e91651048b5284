"""Cross-cutting HTTP guards: security headers, body size limit, cross-site changes, no stack traces.
(Rate limits live in api/rate_limits.py.)"""
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("fundwatch.http")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make Chromium send Origin: null on our own forms
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


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
