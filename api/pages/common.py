"""Page plumbing: templates and their filters, the page route class, log-in and role gates."""
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.deps import OFFICE_ROLES, actor_of, optional_user
from api.pages import csrf
from api.errors import status_of
from domain.calendar import SHANGHAI
from domain.enums import CHANNEL_LABELS, FINDING_LABELS, REJECTION_GROUND_LABELS, ROLE_LABELS, Role
from domain.models import User
from services import inbox as inbox_service
from services.clock_control import CLOCK_ROLES
from services.context import Actor
from services.errors import Forbidden, ServiceError
from services.tips import REGISTER_ROLES
from states.tip import EVENT_LABELS, STATE_LABELS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
NO_STORE = {"Cache-Control": "no-store"}
HOME = "/tips"
START = "/start"      # where the log-in form sends people: their role's home (see home_of)
PORTAL = "/portal"    # a liaison's home
INBOX = "/inbox"      # the home of roles with neither the office's pages nor a portal
LEADER_ROLES = frozenset({Role.SECTION_CHIEF, Role.HEAD, Role.ADMIN, Role.AUDITOR})  # 超期督办

# Audit actions that are not lifecycle events, and how deadlines are shown.
ACTION_LABELS = {**EVENT_LABELS, "register": "登记", "link_duplicate": "关联重复举报",
                 "identity_read": "查看举报人身份", "decision_notice_issued": "出具受理决定告知书",
                 "referral_proposed": "提请移送", "deadline_paused": "中止期限",
                 "deadline_resumed": "恢复期限", "deadline_reminder": "期限提醒", "deadline_escalation": "超期督办"}
UNIT_LABELS = {"working_days": "工作日", "calendar_days": "自然日", "hours": "小时", "months": "个月"}
DEADLINE_STATUS_LABELS = {"open": "计时中", "met": "已完成", "cancelled": "已取消", "paused": "已中止"}


def local_time(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (aware UTC) instant as Shanghai wall time; a plain date as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime(fmt)
    return value.isoformat()


def money(value: Decimal | None) -> str:
    """An amount in yuan with thousands separators."""
    return "" if value is None else f"{value:,.2f} 元"


def _environment() -> jinja2.Environment:
    """Autoescaped, strict about undefined names, with the label tables as globals."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(local=local_time, money=money)
    env.globals["csrf_field"] = jinja2.pass_context(lambda context: csrf.hidden_field(context["request"]))
    env.globals.update(
        CHANNEL_LABELS=CHANNEL_LABELS, FINDING_LABELS=FINDING_LABELS, ROLE_LABELS=ROLE_LABELS,
        REJECTION_GROUND_LABELS=REJECTION_GROUND_LABELS, STATE_LABELS=STATE_LABELS, EVENT_LABELS=EVENT_LABELS,
        ACTION_LABELS=ACTION_LABELS, UNIT_LABELS=UNIT_LABELS, DEADLINE_STATUS_LABELS=DEADLINE_STATUS_LABELS,
        HOME=HOME, START=START, OFFICE_ROLES=OFFICE_ROLES, LEADER_ROLES=LEADER_ROLES, CLOCK_ROLES=CLOCK_ROLES,
        LIAISON=Role.LIAISON,
    )
    return env


templates = Jinja2Templates(env=_environment())


# Template name -> functions (request, context) -> more context, registered by page modules with `extends`,
# so a page owned by one module can show a section another module provides (e.g. referrals on the tip).
CONTEXT_HOOKS: dict[str, list[Callable[[Request, dict], dict]]] = {}


def extends(name: str) -> Callable:
    """Register a function adding context to template `name` whenever it is rendered."""
    def register(hook: Callable[[Request, dict], dict]) -> Callable[[Request, dict], dict]:
        CONTEXT_HOOKS.setdefault(name, []).append(hook)
        return hook
    return register


WORK = "/work"        # 我的工作: the office's home
# Roles whose work lives on one workflow's page land there; other office roles on 我的工作, the rest on the inbox.
ROLE_HOMES = {Role.LIAISON: PORTAL, Role.SUPERVISOR: "/supervision", Role.CONVENER: "/meetings",
              Role.MEETING_OFFICE: "/meetings", Role.GRID_INSPECTOR: "/info-reports",
              Role.TOWNSHIP_ADMIN: "/info-reports"}


def home_of(role: Role | None) -> str:
    """A role's home page: where its own work is listed with what is due, overdue and new."""
    if role in ROLE_HOMES:
        return ROLE_HOMES[role]
    return WORK if role in OFFICE_ROLES else INBOX


def unread_count(request: Request, user: User | None) -> int:
    """The user's unread inbox messages (the header badge)."""
    if user is None:
        return 0
    with request.app.state.runtime.db.read() as session:
        return inbox_service.unread(session, user.id)


def render(request: Request, name: str, context: dict | None = None, *, status: int = 200) -> Response:
    """A page in the base layout; never cached (pages may carry a receipt code or an identity)."""
    user: User | None = getattr(request.state, "user", None)
    role = Role(user.role) if user is not None else None
    base = {"user": user, "role": role, "can_register": role in REGISTER_ROLES,
            "home": home_of(role), "unread": unread_count(request, user)}
    context = {**base, **(context or {})}
    for hook in CONTEXT_HOOKS.get(name, ()):
        context.update(hook(request, context))
    response = templates.TemplateResponse(request, name, context, status_code=status, headers=NO_STORE)
    csrf.set_cookie(request, response)
    return response


def error_page(request: Request, message: str, status: int) -> Response:
    """The Chinese error page (403, 404, ...)."""
    return render(request, "error.html", {"message": message, "status": status}, status=status)


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a form post the browser GETs the target."""
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None) -> str:
    """A local path to return to after log-in; anything else (other hosts) goes home."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return START  # each role's own home


class LoginRequired(Exception):
    """The page needs a logged-in user."""


def login_url(request: Request) -> str:
    """/login?next=<this page> (a form post returns to the list instead)."""
    target = HOME
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


class PageRoute(APIRoute):
    """A page route: no log-in -> redirect; a refused request -> the Chinese error page."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return redirect(login_url(request))
            except ServiceError as exc:
                return error_page(request, exc.message, status_of(exc))
            except RequestValidationError:
                return error_page(request, "页面不存在", 404)

        return page_handler


def known_user(request: Request, user: User | None = Depends(optional_user)) -> User | None:
    """The logged-in user or None, remembered for the page header."""
    request.state.user = user
    return user


def page_user(user: User | None = Depends(known_user)) -> User:
    """The logged-in user; otherwise the page redirects to the log-in form."""
    if user is None:
        raise LoginRequired()
    return user


def roles_actor(*roles: Role) -> Callable[..., Actor]:
    """A dependency admitting only `roles` (others get the 403 page); yields the Actor."""
    permitted = frozenset(roles)

    def gate(user: User = Depends(page_user)) -> Actor:
        if Role(user.role) not in permitted:
            raise Forbidden("当前角色无权访问此页面")
        return actor_of(user)

    return gate


office_actor = roles_actor(*OFFICE_ROLES)


async def form_data(request: Request) -> dict[str, str]:
    """The posted form's text fields (last value wins)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}
