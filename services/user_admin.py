"""Accounts administration: create, (de)activate, passwords under the policy, the optional TOTP factor."""
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from domain.enums import Role
from domain.models import Department, User
from services import audit, totp
from services.authz import require_role
from services.context import Context
from services.errors import InvalidInput, NotFound
from services.passwords import check_password
from services.users import hash_password, verify_password


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=60)
    role: Role
    department_id: int | None = Field(default=None, gt=0)
    email: str | None = Field(default=None, max_length=120, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=1, max_length=200)


def create(ctx: Context, data: UserCreate) -> User:
    """An admin adds an account; liaisons must belong to an outside department."""
    require_role(ctx, {Role.ADMIN}, action="新建账号")
    if ctx.session.exec(select(User.id).where(User.username == data.username)).first() is not None:
        raise InvalidInput("username", "用户名已存在")
    if data.department_id is not None and ctx.session.get(Department, data.department_id) is None:
        raise InvalidInput("department_id", "所选部门不存在")
    if data.role == Role.LIAISON and data.department_id is None:
        raise InvalidInput("department_id", "部门联络员须选择所属部门")
    check_password(data.password, username=data.username)
    user = User(username=data.username, display_name=data.display_name, role=data.role.value,
                department_id=data.department_id, email=data.email, password_hash=hash_password(data.password),
                created_at=ctx.now)
    ctx.session.add(user)
    ctx.session.flush()
    audit.record(ctx, subject_type="user", subject_id=user.id, action="user_created", detail={"role": user.role})
    return user


def _user(ctx: Context, user_id: int) -> User:
    user = ctx.session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return user


def accounts(ctx: Context) -> list[tuple[User, Department | None]]:
    """Every account with its department, by id (the auditor may read the list too)."""
    require_role(ctx, {Role.ADMIN, Role.AUDITOR}, action="查看账号")
    query = select(User, Department).join(Department, User.department_id == Department.id, isouter=True)
    return list(ctx.session.exec(query.order_by(User.id)).all())


def set_active(ctx: Context, user_id: int, active: bool) -> User:
    """Deactivating also ends the user's sessions, so reactivating later does not revive old tokens."""
    require_role(ctx, {Role.ADMIN}, action="停用或启用账号")
    user = _user(ctx, user_id)
    if not active and user.id == ctx.actor.id:
        raise InvalidInput("active", "不能停用自己的账号")
    if not active:
        user.session_epoch += 1
    user.active = active
    audit.record(ctx, subject_type="user", subject_id=user.id, action="user_enabled" if active else "user_disabled")
    return user


def change_own_password(ctx: Context, *, current: str, new: str) -> None:
    user = _user(ctx, ctx.actor.id)
    if not verify_password(user, current):
        raise InvalidInput("current", "当前密码不正确")
    check_password(new, username=user.username)
    user.password_hash = hash_password(new)
    user.session_epoch += 1  # sessions opened with the old password end
    audit.record(ctx, subject_type="user", subject_id=user.id, action="password_changed")


def end_sessions(ctx: Context) -> None:
    """Log out everywhere: tokens carry the epoch they were issued in, so raising it ends them all."""
    user = _user(ctx, ctx.actor.id)
    user.session_epoch += 1


def enable_totp(ctx: Context, *, secret: str, code: str) -> None:
    """Turn on the second factor once the user proves their app shows the right code for `secret`."""
    if len(secret) != 32 or not totp.verify(secret, code, ctx.now):
        raise InvalidInput("code", "动态验证码不正确，请核对手机验证器上的6位数字")
    user = _user(ctx, ctx.actor.id)
    user.totp_secret = secret
    audit.record(ctx, subject_type="user", subject_id=user.id, action="totp_enabled")
