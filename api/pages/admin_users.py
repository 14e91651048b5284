"""/admin/users: the account list, the new-account form, deactivating and reactivating accounts."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.pages.admin import admin_actor, can_change, field_errors, filled, reader_actor
from api.pages.common import PageRoute, form_data, redirect, render
from services import registry_admin, user_admin
from services.context import Actor
from services.errors import InvalidInput
from services.passwords import MIN_LENGTH

router = APIRouter(route_class=PageRoute, include_in_schema=False)
USER_FIELDS = ("username", "display_name", "role", "department_id", "email", "password")


def _page(request: Request, actor: Actor, values: dict | None = None, errors: dict[str, str] | None = None,
          status: int = 200) -> Response:
    """The list and (for the admin) the form, with what was typed (never the password) and the messages."""
    with request.app.state.runtime.read(actor) as ctx:
        accounts = user_admin.accounts(ctx)
        departments = registry_admin.departments(ctx)
    values = {key: value for key, value in (values or {}).items() if key != "password"}
    return render(request, "admin_users.html", {
        "accounts": accounts, "departments": departments, "values": values, "errors": errors or {},
        "can_change": can_change(actor), "min_length": MIN_LENGTH,
    }, status=422 if errors else status)


@router.get("/admin/users")
def user_list(request: Request, actor: Actor = Depends(reader_actor)) -> Response:
    """用户账号: name, role, department, active, second factor."""
    return _page(request, actor)


@router.post("/admin/users")
def create_user(request: Request, form: dict[str, str] = Depends(form_data),
                actor: Actor = Depends(admin_actor)) -> Response:
    """新建账号 under the password policy; refused input comes back beside its field."""
    try:
        body = user_admin.UserCreate.model_validate(filled(form, USER_FIELDS))
        with request.app.state.runtime.write(actor) as ctx:
            user_admin.create(ctx, body)
    except (ValidationError, InvalidInput) as exc:
        return _page(request, actor, form, field_errors(exc))
    return redirect("/admin/users")


@router.post("/admin/users/{user_id}/active")
def set_active(request: Request, user_id: int, form: dict[str, str] = Depends(form_data),
               actor: Actor = Depends(admin_actor)) -> Response:
    """停用 (which also ends the account's sessions) or 启用 an account."""
    try:
        with request.app.state.runtime.write(actor) as ctx:
            user_admin.set_active(ctx, user_id, form.get("active") == "yes")
    except InvalidInput as exc:
        return _page(request, actor, errors={"_list": exc.message})
    return redirect("/admin/users")
