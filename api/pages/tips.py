"""The tip list (filters, pagination, nearest deadline) and the desk registration form."""
import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import select

from api.pages.common import PageRoute, form_data, office_actor, render, roles_actor
from api.pages.forms import tip_create_input, translate
from domain.enums import CHANNEL_LABELS, DeadlineStatus
from domain.models import Institution
from domain.schemas import DeadlinePublic, TipCreate, TipPublic
from services import tip_queries as q
from services.context import Actor
from services.errors import AlreadySubmitted, InvalidInput
from services.tips import REGISTER_ROLES, register_tip
from states.tip import STATE_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
registrar = roles_actor(*REGISTER_ROLES)
PAGE_SIZE, PAGE_SIZE_MAX = 20, 200
OVERDUE_CHOICES = {"yes": True, "no": False}


def _number(text: str, default: int, low: int, high: int) -> int:
    """A paging number from the query string, clamped; junk gives the default."""
    try:
        return min(max(int(text), low), high)
    except ValueError:
        return default


def nearest_open(tip: TipPublic) -> DeadlinePublic | None:
    """The open deadline that falls due first."""
    running = [d for d in tip.deadlines if d.status == DeadlineStatus.OPEN]
    return min(running, key=lambda d: d.due_at, default=None)


def _page_links(filters: dict[str, str], offset: int, limit: int, total: int) -> dict[str, str | None]:
    """Links to the previous and next pages, keeping the filters."""
    def link(start: int) -> str:
        return "/tips?" + urlencode({**{k: v for k, v in filters.items() if v}, "offset": start, "limit": limit})
    return {"prev": link(max(offset - limit, 0)) if offset > 0 else None,
            "next": link(offset + limit) if offset + limit < total else None}


@router.get("/tips")
def tip_list(request: Request, status: str = "", channel: str = "", overdue: str = "", offset: str = "0",
             limit: str = str(PAGE_SIZE), actor: Actor = Depends(office_actor)) -> Response:
    """举报线索列表; unknown filter values are ignored rather than refused."""
    filters = {"status": status if status in STATE_LABELS else "",
               "channel": channel if channel in CHANNEL_LABELS else "",
               "overdue": overdue if overdue in OVERDUE_CHOICES else ""}
    start, size = _number(offset, 0, 0, 10**9), _number(limit, PAGE_SIZE, 1, PAGE_SIZE_MAX)
    with request.app.state.runtime.read(actor) as ctx:
        tips, total = q.list_tips(ctx.session, now=ctx.now, status=filters["status"] or None,
                                  channel=filters["channel"] or None, overdue=OVERDUE_CHOICES.get(overdue),
                                  offset=start, limit=size)
        page = q.tip_page(ctx.session, tips, total, offset=start, limit=size, actor=actor, policy=ctx.policy,
                          calendar=ctx.calendar, now=ctx.now)
    rows = [(tip, nearest_open(tip)) for tip in page.items]
    return render(request, "tip_list.html", {
        "rows": rows, "total": total, "offset": start, "limit": size, "filters": filters,
        "links": _page_links(filters, start, size, total),
    })


def _new_form(request: Request, actor: Actor, values: dict | None = None,
              errors: dict[str, str] | None = None) -> Response:
    """The registration form, with what was typed and the messages beside the fields (422)."""
    with request.app.state.runtime.read(actor) as ctx:
        institutions = list(ctx.session.exec(select(Institution).order_by(Institution.code)))
    values = values or {}
    return render(request, "tip_new.html", {  # a re-shown form keeps its one-time key
        "institutions": institutions, "values": values, "errors": errors or {},
        "intake_key": values.get("intake_key") or secrets.token_urlsafe(24),
    }, status=422 if errors else 200)


@router.get("/tips/new")
def new_tip(request: Request, actor: Actor = Depends(registrar)) -> Response:
    """The empty registration form."""
    return _new_form(request, actor)


@router.post("/tips/new")
def create_tip(request: Request, form: dict[str, str] = Depends(form_data),
               actor: Actor = Depends(registrar)) -> Response:
    """登记举报; the receipt code of an anonymous tip is shown on this response only."""
    try:
        data = TipCreate.model_validate(tip_create_input(form))
        with request.app.state.runtime.write(actor) as ctx:
            registration = register_tip(ctx, data)
    except ValidationError as exc:
        return _new_form(request, actor, form, translate(exc))
    except InvalidInput as exc:
        return _new_form(request, actor, form, {exc.field: exc.message})
    except AlreadySubmitted as exc:  # a refresh or a second click: show what the first submission registered
        with request.app.state.runtime.read(actor) as ctx:
            earlier = q.tip_view(ctx, exc.existing_id)
        return render(request, "tip_registered.html", {"tip": earlier, "receipt_code": None, "already": exc.message},
                      status=409)
    return render(request, "tip_registered.html", {"tip": registration.tip, "receipt_code": registration.receipt_code,
                                                      "already": None}, status=201)
