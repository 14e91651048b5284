"""Accounts: admins manage users; everyone changes their own password and may turn on TOTP."""
from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field
from sqlmodel import select

from api.deps import actor_of, allow, current_user, get_runtime
from api.routes.auth import UserPublic, user_public
from domain.enums import Role
from domain.models import User
from services import totp, user_admin
from services.context import Actor
from services.runtime import Runtime

router = APIRouter(tags=["users"])
admin = allow(Role.ADMIN)


class PasswordChange(BaseModel):
    current: str = Field(min_length=1, max_length=200)
    new: str = Field(min_length=1, max_length=200)


class TotpSetup(BaseModel):
    secret: str
    uri: str


class TotpEnable(BaseModel):
    secret: str = Field(min_length=32, max_length=32, pattern=r"^[A-Z2-7]{32}$")
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


@router.get("/users", response_model=list[UserPublic])
def users(actor: Actor = Depends(admin), runtime: Runtime = Depends(get_runtime)):
    with runtime.db.read() as session:
        return [user_public(u) for u in session.exec(select(User).order_by(User.id))]


@router.post("/users", response_model=UserPublic, status_code=201)
def create(body: user_admin.UserCreate, actor: Actor = Depends(admin), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        return user_public(user_admin.create(ctx, body))


@router.post("/users/{user_id}/active", response_model=UserPublic)
def set_active(user_id: int, active: bool = Body(embed=True), actor: Actor = Depends(admin),
               runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        return user_public(user_admin.set_active(ctx, user_id, active))


@router.post("/me/password", status_code=204)
def change_password(body: PasswordChange, user: User = Depends(current_user), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor_of(user)) as ctx:
        user_admin.change_own_password(ctx, current=body.current, new=body.new)


@router.get("/me/totp/new", response_model=TotpSetup)
def new_totp(user: User = Depends(current_user)) -> TotpSetup:
    """A fresh secret to scan into an authenticator app; nothing is stored until it is confirmed."""
    secret = totp.new_secret()
    return TotpSetup(secret=secret, uri=totp.provisioning_uri(secret, user.username))


@router.post("/me/totp", status_code=204)
def enable_totp(body: TotpEnable, user: User = Depends(current_user), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor_of(user)) as ctx:
        user_admin.enable_totp(ctx, secret=body.secret, code=body.code)
