"""系统管理: the admin pages' index, gates and form helpers (admin_users, admin_registry, admin_settings).

The administrator changes; the auditor may read every admin page (accounts, registries, policy, calendar)
but sees no forms, and a post from them gets the 403 page."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.pages.common import PageRoute, render, roles_actor, templates
from api.pages.forms import translate
from domain.enums import Role
from services.context import Actor
from services.errors import InvalidInput

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ADMIN_READERS = frozenset({Role.ADMIN, Role.AUDITOR})
admin_actor = roles_actor(Role.ADMIN)
reader_actor = roles_actor(*ADMIN_READERS)
SECTIONS = (
    ("/admin/users", "用户账号", "账号列表、新建账号、停用与启用"),
    ("/admin/departments", "部门", "本局与联席会议成员单位等部门"),
    ("/admin/institutions", "定点医药机构", "被举报机构名录：查询、新增、修改"),
    ("/admin/policy", "地方政策", "各项期限、督办升级规则、举报奖励标准（只读）"),
    ("/admin/calendar", "节假日安排", "已知年份的放假与调休安排；载入新一年"),
)
templates.env.globals.update(ADMIN_READERS=ADMIN_READERS, ADMIN_SECTIONS=SECTIONS)
# Pattern errors of the admin forms' fields in words (forms.translate only says 格式不正确).
PATTERN_MESSAGES = {
    "username": "用户名只能包含字母、数字、下划线、点和连字符",
    "code": "代码只能包含字母、数字、下划线和连字符",
    "email": "电子邮箱格式不正确",
    "leader_email": "电子邮箱格式不正确",
}


def can_change(actor: Actor) -> bool:
    """Whether the page shows its forms: only the administrator changes anything here."""
    return actor.role == Role.ADMIN


def field_errors(exc: ValidationError | InvalidInput) -> dict[str, str]:
    """Chinese messages by form field for refused admin input."""
    if isinstance(exc, InvalidInput):
        return {exc.field: exc.message}
    errors = translate(exc)
    for field, text in PATTERN_MESSAGES.items():
        if errors.get(field) == "格式不正确":
            errors[field] = text
    return errors


def filled(form: dict[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    """The non-blank fields among `keys`, stripped (blank optional fields stay unset)."""
    return {key: value for key in keys if (value := (form.get(key) or "").strip())}


@router.get("/admin")
def admin_index(request: Request, actor: Actor = Depends(reader_actor)) -> Response:
    """系统管理 home: what each admin page is for."""
    return render(request, "admin_index.html", {"can_change": can_change(actor)})
