"""/admin/departments and /admin/institutions: list (search), create and edit; changes are audited."""
from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from api.pages.admin import admin_actor, can_change, field_errors, filled, reader_actor
from api.pages.common import PageRoute, form_data, redirect, render
from domain.enums import INSTITUTION_KIND_LABELS
from services import registry_admin as registry
from services.context import Actor
from services.errors import InvalidInput

router = APIRouter(route_class=PageRoute, include_in_schema=False)
DEPARTMENT_FIELDS = ("code", "name", "kind", "leader_name", "leader_email")
INSTITUTION_FIELDS = ("code", "name", "kind", "district")
LABELS = {"DEPARTMENT_KIND_LABELS": registry.DEPARTMENT_KIND_LABELS,
          "INSTITUTION_KIND_LABELS": INSTITUTION_KIND_LABELS}


def department_input(form: dict[str, str]) -> dict:
    return {**filled(form, DEPARTMENT_FIELDS), "member": form.get("member") == "yes"}


def department_values(row) -> dict[str, str]:
    """An existing department as the edit form's typed values."""
    values = {key: getattr(row, key) or "" for key in DEPARTMENT_FIELDS}
    return {**values, "member": "yes" if row.member else ""}


def _save(request: Request, actor: Actor, model: type[BaseModel], data: dict,
          use_case: Callable, *args) -> dict[str, str]:
    """Validate and run one create/update use case; the field errors when refused, else {}."""
    try:
        body = model.model_validate(data)
        with request.app.state.runtime.write(actor) as ctx:
            use_case(ctx, *args, body)
    except (ValidationError, InvalidInput) as exc:
        return field_errors(exc)
    return {}


def _departments(request: Request, actor: Actor, values: dict | None = None,
                 errors: dict[str, str] | None = None) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        rows = registry.departments(ctx)
    return render(request, "admin_departments.html", {
        **LABELS, "rows": rows, "values": values or {}, "errors": errors or {}, "can_change": can_change(actor),
    }, status=422 if errors else 200)


def _department_edit(request: Request, actor: Actor, department_id: int, values: dict | None = None,
                     errors: dict[str, str] | None = None) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        row = registry.department(ctx, department_id)
    return render(request, "admin_department_edit.html", {
        **LABELS, "row": row, "values": values or department_values(row), "errors": errors or {},
        "can_change": True,
    }, status=422 if errors else 200)


@router.get("/admin/departments")
def department_list(request: Request, actor: Actor = Depends(reader_actor)) -> Response:
    """部门: the office and the outside departments, with the form for a new one."""
    return _departments(request, actor)


@router.post("/admin/departments")
def create_department(request: Request, form: dict[str, str] = Depends(form_data),
                      actor: Actor = Depends(admin_actor)) -> Response:
    errors = _save(request, actor, registry.DepartmentIn, department_input(form), registry.create_department)
    return _departments(request, actor, form, errors) if errors else redirect("/admin/departments")


@router.get("/admin/departments/{department_id}")
def edit_department(request: Request, department_id: int, actor: Actor = Depends(admin_actor)) -> Response:
    return _department_edit(request, actor, department_id)


@router.post("/admin/departments/{department_id}")
def update_department(request: Request, department_id: int, form: dict[str, str] = Depends(form_data),
                      actor: Actor = Depends(admin_actor)) -> Response:
    errors = _save(request, actor, registry.DepartmentIn, department_input(form), registry.update_department,
                   department_id)
    if errors:
        return _department_edit(request, actor, department_id, form, errors)
    return redirect("/admin/departments")


def _institutions(request: Request, actor: Actor, query: str = "", values: dict | None = None,
                  errors: dict[str, str] | None = None) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        rows = registry.search_institutions(ctx, query)
    return render(request, "admin_institutions.html", {
        **LABELS, "rows": rows, "query": query, "limit": registry.SEARCH_LIMIT, "values": values or {},
        "errors": errors or {}, "can_change": can_change(actor),
    }, status=422 if errors else 200)


def _institution_edit(request: Request, actor: Actor, institution_id: int, values: dict | None = None,
                      errors: dict[str, str] | None = None) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        row = registry.institution(ctx, institution_id)
    return render(request, "admin_institution_edit.html", {
        **LABELS, "row": row, "values": values or {key: getattr(row, key) for key in INSTITUTION_FIELDS},
        "errors": errors or {}, "can_change": True,
    }, status=422 if errors else 200)


@router.get("/admin/institutions")
def institution_list(request: Request, q: str = "", actor: Actor = Depends(reader_actor)) -> Response:
    """定点医药机构: search by code, name or district."""
    return _institutions(request, actor, q.strip()[:60])


@router.post("/admin/institutions")
def create_institution(request: Request, form: dict[str, str] = Depends(form_data),
                       actor: Actor = Depends(admin_actor)) -> Response:
    errors = _save(request, actor, registry.InstitutionIn, filled(form, INSTITUTION_FIELDS),
                   registry.create_institution)
    return _institutions(request, actor, "", form, errors) if errors else redirect("/admin/institutions")


@router.get("/admin/institutions/{institution_id}")
def edit_institution(request: Request, institution_id: int, actor: Actor = Depends(admin_actor)) -> Response:
    return _institution_edit(request, actor, institution_id)


@router.post("/admin/institutions/{institution_id}")
def update_institution(request: Request, institution_id: int, form: dict[str, str] = Depends(form_data),
                       actor: Actor = Depends(admin_actor)) -> Response:
    errors = _save(request, actor, registry.InstitutionIn, filled(form, INSTITUTION_FIELDS),
                   registry.update_institution, institution_id)
    if errors:
        return _institution_edit(request, actor, institution_id, form, errors)
    return redirect("/admin/institutions")
