"""Log-in for API clients: exchange a password for a bearer token."""
import logging

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from api.deps import actor_of, current_user, get_runtime
from api.guards import client_key
from domain.enums import ROLE_LABELS, Role
from domain.models import User
from services.runtime import Runtime
from services import totp
from services.user_admin import end_sessions
from services.users import authenticate

router = APIRouter(prefix="/auth", tags=["auth"])
log = logging.getLogger("fundwatch.auth")


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)
    otp: str | None = Field(default=None, max_length=10, description="the 6-digit code, for users with TOTP on")


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    role_label: str
    department_id: int | None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    user: UserPublic


def user_public(user: User) -> UserPublic:
    role = Role(user.role)
    return UserPublic(id=user.id, username=user.username, display_name=user.display_name, role=role,
                      role_label=ROLE_LABELS[role], department_id=user.department_id)


@router.post("/token", response_model=TokenOut)
def login(body: LoginIn, request: Request, runtime: Runtime = Depends(get_runtime)) -> TokenOut:
    """Password for a token; repeated failures for one name from one client are throttled (429)."""
    user = throttled_authenticate(request, runtime, body.username, body.password, body.otp)
    return TokenOut(access_token=request.app.state.tokens.issue(user.id, user.session_epoch), user=user_public(user))


@router.post("/logout", status_code=204)
def logout(user: User = Depends(current_user), runtime: Runtime = Depends(get_runtime)) -> None:
    """End every session of this user: all tokens issued so far stop working."""
    with runtime.write(actor_of(user)) as ctx:
        end_sessions(ctx)


def throttled_authenticate(request: Request, runtime: Runtime, username: str, password: str,
                           otp: str | None = None) -> User:
    """The user, or 401 (wrong password or missing/wrong second factor) / 429 (too many recent failures);
    pages and API share this. Every attempt is counted before the password is checked, so attempts sent
    in parallel (to several workers) cannot slip past the limit; a successful log-in clears the count."""
    limiter, key = request.app.state.limits.login, f"{username}|{client_key(request)}"
    if not limiter.hit(key):
        log.warning("log-in for %r from %s refused: too many failures", username, client_key(request))
        raise HTTPException(status_code=429, detail="登录失败次数过多，请15分钟后再试")
    with runtime.db.read() as session:
        user = authenticate(session, username, password)
    if user is not None and user.totp_secret and not (otp and totp.verify(user.totp_secret, otp, runtime.clock())):
        if otp:
            log.warning("wrong second factor for %r from %s", username, client_key(request))
        raise HTTPException(status_code=401, detail="请输入手机验证器上的动态验证码" if not otp else "动态验证码不正确")
    if user is None:
        log.warning("failed log-in for %r from %s", username, client_key(request))
        raise HTTPException(status_code=401, detail="用户名或密码错误")
    limiter.reset(key)
    return user


@router.get("/me", response_model=UserPublic)
def me(user: User = Depends(current_user)) -> UserPublic:
    return user_public(user)
