"""Per-form CSRF tokens for the pages (synchronizer token pattern, stateless).

Each browser gets a random `fw_csrf` cookie (HttpOnly, SameSite=Strict); every form carries
HMAC(secret, cookie) in a hidden field, and every page POST must present it. A forged cross-site form can
neither read the cookie nor compute the token. The Origin/Referer check in api/guards.py stays as a second
line. API calls with a bearer token are not page posts and are not affected.
"""
import hashlib
import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup

from services.errors import Forbidden

COOKIE = "fw_csrf"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSED = "表单已失效或来源不明：请刷新页面后重新提交"


def sign(secret: str, raw: str) -> str:
    """The form token for one browser's cookie value."""
    return hmac.new(secret.encode(), f"csrf:{raw}".encode(), hashlib.sha256).hexdigest()


def _raw(request: Request) -> str:
    """This browser's cookie value; a new one (remembered for the response) on its first page."""
    raw = request.cookies.get(COOKIE) or getattr(request.state, "csrf_new", None)
    if not raw:
        raw = request.state.csrf_new = secrets.token_urlsafe(32)
    return raw


def token(request: Request) -> str:
    return sign(request.app.state.settings.secret_key, _raw(request))


def hidden_field(request: Request) -> Markup:
    """<input type=hidden> for a form (templates call csrf_field())."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token(request))


def set_cookie(request: Request, response: Response) -> None:
    """Hand the browser the cookie its forms' tokens were computed from, if it is new."""
    raw = getattr(request.state, "csrf_new", None)
    if raw:
        secure = request.app.state.settings.environment != "development"
        response.set_cookie(COOKIE, raw, path="/", httponly=True, samesite="strict", secure=secure)


async def require_token(request: Request) -> None:
    """Route dependency for every page: an unsafe request must carry this browser's form token."""
    if request.method in SAFE_METHODS:
        return
    raw = request.cookies.get(COOKIE)
    sent = (await request.form()).get(FIELD)
    expected = sign(request.app.state.settings.secret_key, raw) if raw else None
    if not (expected and isinstance(sent, str) and hmac.compare_digest(sent, expected)):
        raise Forbidden(REFUSED)
