"""Registry administration: departments (部门) and designated medical institutions (定点医药机构).

Each create/update is one use case: checked, written and audited in the caller's transaction."""
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, or_, select

from domain.enums import InstitutionKind, Role
from domain.models import Department, Institution
from services import audit
from services.authz import require_role
from services.context import Context
from services.errors import InvalidInput, NotFound

ADMIN_ONLY = {Role.ADMIN}
READERS = {Role.ADMIN, Role.AUDITOR}
# Kinds the rest of the system looks departments up by (the office, the procuratorate copied on police
# referrals, ...); a form offers only these.
DEPARTMENT_KIND_LABELS = {
    "office": "本局（医疗保障局）", "police": "公安机关", "procuratorate": "检察机关", "discipline": "纪检监察机关",
    "health": "卫生健康部门", "market_regulation": "市场监管部门", "court": "人民法院", "finance": "财政部门",
    "justice": "司法行政部门", "civil_affairs": "民政部门", "human_resources": "人力资源和社会保障部门",
    "tax": "税务部门", "veterans": "退役军人事务部门", "rural_revitalization": "乡村振兴部门",
    "development": "发展和改革部门", "audit": "审计机关", "government": "人民政府", "township": "乡镇（街道）",
    "other": "其他部门",
}
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
SEARCH_LIMIT = 200


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=40, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(min_length=1, max_length=40)
    member: bool = False
    leader_name: str | None = Field(default=None, max_length=60)
    leader_email: str | None = Field(default=None, max_length=120, pattern=r"^[^@\s]+@[^@\s]+$")


class InstitutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=40, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    kind: InstitutionKind
    district: str = Field(min_length=1, max_length=60)


def _taken(session: Session, model, column, value: str, own_id: int | None) -> bool:
    """Whether another row of `model` already has `value` in `column`."""
    query = select(model.id).where(column == value)
    if own_id is not None:
        query = query.where(model.id != own_id)
    return session.exec(query).first() is not None


def _check_department(session: Session, data: DepartmentIn, own_id: int | None) -> None:
    """Unique code and name, a known kind, and only one office (the system looks the office up by kind)."""
    if data.kind not in DEPARTMENT_KIND_LABELS:
        raise InvalidInput("kind", "请从列表中选择")
    if _taken(session, Department, Department.code, data.code, own_id):
        raise InvalidInput("code", f"部门代码“{data.code}”已被使用")
    if _taken(session, Department, Department.name, data.name, own_id):
        raise InvalidInput("name", f"部门“{data.name}”已登记")
    if data.kind == "office" and _taken(session, Department, Department.kind, "office", own_id):
        raise InvalidInput("kind", "本局（医疗保障局）已登记，只能有一个")


def _insert(ctx: Context, row, subject: str, data: BaseModel):
    """Add a registry row and audit its creation (`<subject>_created`, with what was entered)."""
    ctx.session.add(row)
    ctx.session.flush()
    audit.record(ctx, subject_type=subject, subject_id=row.id, action=f"{subject}_created",
                 detail=data.model_dump(mode="json"))
    return row


def _update(ctx: Context, row, subject: str, data: BaseModel):
    """Apply `data` to a registry row; audit what changed (`<subject>_updated`, old and new), if anything."""
    changed = _changes(row, data)
    if changed:
        audit.record(ctx, subject_type=subject, subject_id=row.id, action=f"{subject}_updated", detail=changed)
    return row


def _changes(row, data: BaseModel) -> dict:
    """The fields `data` changes on `row`, as {field: [old, new]}, and applies them."""
    changed = {}
    for name, value in data.model_dump(mode="json").items():
        if getattr(row, name) != value:
            changed[name] = [getattr(row, name), value]
            setattr(row, name, value)
    return changed


def _get(ctx: Context, model, row_id: int, what: str):
    row = ctx.session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} 不存在")
    return row


def create_department(ctx: Context, data: DepartmentIn) -> Department:
    require_role(ctx, ADMIN_ONLY, action="新增部门")
    _check_department(ctx.session, data, None)
    return _insert(ctx, Department(**data.model_dump()), "department", data)


def update_department(ctx: Context, department_id: int, data: DepartmentIn) -> Department:
    require_role(ctx, ADMIN_ONLY, action="修改部门")
    department = _get(ctx, Department, department_id, "部门")
    _check_department(ctx.session, data, department.id)
    return _update(ctx, department, "department", data)


def department(ctx: Context, department_id: int) -> Department:
    require_role(ctx, READERS, action="查看部门")
    return _get(ctx, Department, department_id, "部门")


def departments(ctx: Context) -> list[Department]:
    require_role(ctx, READERS, action="查看部门")
    return list(ctx.session.exec(select(Department).order_by(Department.id)))


def _check_institution(session: Session, data: InstitutionIn, own_id: int | None) -> None:
    if _taken(session, Institution, Institution.code, data.code, own_id):
        raise InvalidInput("code", f"机构编码“{data.code}”已被使用")


def create_institution(ctx: Context, data: InstitutionIn) -> Institution:
    require_role(ctx, ADMIN_ONLY, action="新增定点医药机构")
    _check_institution(ctx.session, data, None)
    return _insert(ctx, Institution(**data.model_dump(mode="json")), "institution", data)


def update_institution(ctx: Context, institution_id: int, data: InstitutionIn) -> Institution:
    require_role(ctx, ADMIN_ONLY, action="修改定点医药机构")
    institution = _get(ctx, Institution, institution_id, "机构")
    _check_institution(ctx.session, data, institution.id)
    return _update(ctx, institution, "institution", data)


def institution(ctx: Context, institution_id: int) -> Institution:
    require_role(ctx, READERS, action="查看定点医药机构")
    return _get(ctx, Institution, institution_id, "机构")


def search_institutions(ctx: Context, text: str = "") -> list[Institution]:
    """Institutions whose code, name or district contains `text` (all when blank), by code."""
    require_role(ctx, READERS, action="查看定点医药机构")
    query = select(Institution).order_by(Institution.code)
    if text.strip():
        needle = text.strip()
        query = query.where(or_(Institution.code.contains(needle, autoescape=True),
                                Institution.name.contains(needle, autoescape=True),
                                Institution.district.contains(needle, autoescape=True)))
    return list(ctx.session.exec(query.limit(SEARCH_LIMIT)))
