"""FastAPI dependencies: the runtime, the current user, role gates."""
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import SESSION_COOKIE
from domain.enums import Role
from domain.models import User
from services.context import Actor
from services.runtime import Runtime

_bearer = HTTPBearer(auto_error=False)
# The office's own staff, who work on tips and referrals (outside units and local reporters do not).
OFFICE_ROLES = frozenset({Role.DESK_CLERK, Role.INVESTIGATOR, Role.SECTION_CHIEF, Role.HEAD, Role.MEETING_OFFICE,
                          Role.AUDITOR, Role.ADMIN})


async def get_runtime(request: Request) -> Runtime:  # async: no thread hop for a lookup
    return request.app.state.runtime


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    return request.cookies.get(SESSION_COOKIE)


async def optional_user(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> User | None:
    """The logged-in, active user whose token is of their current session epoch, or None."""
    return _logged_in(request, credentials)


def _logged_in(request: Request, credentials: HTTPAuthorizationCredentials | None) -> User | None:
    """The user (a read-only row of the user's columns: no session or ORM object) if the token is valid and of
    their current session epoch, and they are active. On the event loop: the row is usually remembered
    (services.users.RequestUsers), and reading it costs less than a hop to the thread pool and back."""
    token = _token(request, credentials)
    claims = request.app.state.tokens.claims(token) if token else None
    if claims is None:
        return None
    user = request.app.state.request_users.get(claims[0])
    return user if user is not None and user.active and user.session_epoch == claims[1] else None


def _logged_out() -> HTTPException:
    return HTTPException(status_code=401, detail="请先登录", headers={"WWW-Authenticate": "Bearer"})


async def current_user(user: User | None = Depends(optional_user)) -> User:
    if user is None:
        raise _logged_out()
    return user


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, name=user.display_name, role=Role(user.role), department_id=user.department_id)


def allow(*roles: Role) -> Callable[..., Actor]:
    """A dependency admitting only `roles`; yields the acting user as an Actor. One dependency rather than a
    chain over current_user and optional_user: FastAPI resolves each level per request (~10 µs each here)."""
    permitted = frozenset(roles)

    async def gate(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Actor:
        user = _logged_in(request, credentials)  # async: no thread hop for a check
        if user is None:
            raise _logged_out()
        if Role(user.role) not in permitted:
            raise HTTPException(status_code=403, detail="当前角色无权访问此功能")
        return actor_of(user)

    return gate
