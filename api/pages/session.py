"""Log-in and log-out: a signed session cookie (HttpOnly, SameSite=Lax)."""
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from api.auth import SESSION_COOKIE
from api.pages.common import START, PageRoute, form_data, known_user, redirect, render, safe_next
from api.deps import actor_of
from api.routes.auth import throttled_authenticate
from domain.models import User
from services.user_admin import end_sessions

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/")
def home(user: User | None = Depends(known_user)) -> Response:
    """The role's home when logged in, else the log-in form."""
    return redirect(START if user is not None else "/login")


@router.get("/login")
def login_form(request: Request, next: str = START, user: User | None = Depends(known_user)) -> Response:
    """The log-in form (a logged-in user goes straight on)."""
    if user is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "username": "", "error": None})


@router.post("/login")
def login(request: Request, form: dict[str, str] = Depends(form_data)) -> Response:
    """Check the password; on success set the session cookie and go where the user was heading."""
    username, password = form.get("username", "").strip(), form.get("password", "")
    target = safe_next(form.get("next"))
    if not username or not password:
        return _refused(request, username, target, "请输入用户名和密码", 422)
    try:
        user = throttled_authenticate(request, request.app.state.runtime, username[:60], password[:200],
                                      form.get("otp", "").strip()[:10] or None)
    except HTTPException as refused:
        return _refused(request, username, target, refused.detail, refused.status_code)
    response = redirect(target)
    tokens = request.app.state.tokens
    token = tokens.issue(user.id, user.session_epoch)
    response.set_cookie(SESSION_COOKIE, token, max_age=tokens.max_age_s, path="/",
                        httponly=True, samesite="lax", secure=_secure(request))
    return response


def _refused(request: Request, username: str, target: str, error: str, status: int) -> Response:
    """The log-in form again with the message and the username typed."""
    request.state.user = None
    return render(request, "login.html", {"next": target, "username": username, "error": error}, status=status)


def _secure(request: Request) -> bool:
    """Secure cookies outside development (where the site is served over HTTPS)."""
    return request.app.state.settings.environment != "development"


@router.post("/logout")
def logout(request: Request, user: User | None = Depends(known_user)) -> Response:
    """End the session everywhere (every earlier token stops working) and drop the cookie."""
    if user is not None:
        with request.app.state.runtime.write(actor_of(user)) as ctx:
            end_sessions(ctx)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response
