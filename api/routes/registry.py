"""Reference data the forms need: institutions, investigators."""
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import select

from api.deps import OFFICE_ROLES, allow, get_runtime
from domain.enums import Role
from domain.models import Institution, User
from services.context import Actor
from services.runtime import Runtime

router = APIRouter(tags=["registry"])


class InstitutionPublic(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    district: str


class StaffPublic(BaseModel):
    id: int
    display_name: str
    role: Role


@router.get("/institutions", response_model=list[InstitutionPublic])
def institutions(q: str | None = Query(default=None, max_length=60), actor: Actor = Depends(allow(*OFFICE_ROLES)),
                 runtime: Runtime = Depends(get_runtime)):
    query = select(Institution).order_by(Institution.name)
    if q:
        query = query.where(Institution.name.contains(q))
    with runtime.db.read() as session:
        return [InstitutionPublic.model_validate(i, from_attributes=True) for i in session.exec(query.limit(200))]


@router.get("/staff", response_model=list[StaffPublic])
def staff(role: Role | None = None, actor: Actor = Depends(allow(*OFFICE_ROLES)),
          runtime: Runtime = Depends(get_runtime)):
    query = select(User).where(User.active.is_(True)).order_by(User.id)
    if role is not None:
        query = query.where(User.role == role.value)
    with runtime.db.read() as session:
        return [StaffPublic.model_validate(u, from_attributes=True) for u in session.exec(query)]
