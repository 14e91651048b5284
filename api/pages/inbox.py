"""站内消息: the user's messages, newest first, marked read one by one or all at once."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from api.deps import actor_of
from api.pages.common import OFFICE_ROLES, PageRoute, page_user, redirect, render
from domain.enums import Role
from domain.models import InboxMessage, User
from services import inbox as inbox_service

router = APIRouter(route_class=PageRoute, include_in_schema=False)
SHOWN = 200


def subject_link(message: InboxMessage, role: Role) -> str | None:
    """The page the message is about, if this user has one (liaisons have no tip pages)."""
    if message.subject_type == "referral":
        return f"/referrals/{message.subject_id}"
    if message.subject_type == "tip" and role in OFFICE_ROLES:
        return f"/tips/{message.subject_id}"
    return None


@router.get("/inbox")
def inbox(request: Request, user: User = Depends(page_user)) -> Response:
    """The newest messages first; unread ones stand out."""
    with request.app.state.runtime.db.read() as session:
        messages = inbox_service.messages(session, user.id, limit=SHOWN)
    role = Role(user.role)
    rows = [{"m": m, "link": subject_link(m, role)} for m in messages]
    return render(request, "inbox.html", {"rows": rows, "shown": SHOWN})


@router.post("/inbox/read-all")
def read_all(request: Request, user: User = Depends(page_user)) -> Response:
    """全部标为已读."""
    with request.app.state.runtime.write(actor_of(user)) as ctx:
        inbox_service.mark_all_read(ctx)
    return redirect("/inbox")


@router.post("/inbox/{message_id}/read")
def read_one(request: Request, message_id: int, user: User = Depends(page_user)) -> Response:
    """标为已读 (another user's message: 404)."""
    with request.app.state.runtime.write(actor_of(user)) as ctx:
        inbox_service.mark_read(ctx, message_id)
    return redirect("/inbox")
