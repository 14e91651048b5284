"""The in-app inbox (站内消息): list, unread count, mark read."""
from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import actor_of, current_user, get_runtime
from domain.models import User
from services import inbox as inbox_service
from services.runtime import Runtime

router = APIRouter(prefix="/inbox", tags=["inbox"])


class InboxItem(BaseModel):
    id: int
    title: str
    body: str
    subject_type: str
    subject_id: int
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    unread: int
    items: list[InboxItem]


@router.get("", response_model=InboxPage)
def inbox(user: User = Depends(current_user), runtime: Runtime = Depends(get_runtime)) -> InboxPage:
    with runtime.db.read() as session:
        rows = inbox_service.messages(session, user.id)
        return InboxPage(unread=inbox_service.unread(session, user.id),
                         items=[InboxItem.model_validate(r, from_attributes=True) for r in rows])


@router.post("/{message_id}/read", response_model=InboxItem)
def mark_read(message_id: int, user: User = Depends(current_user), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor_of(user)) as ctx:
        return InboxItem.model_validate(inbox_service.mark_read(ctx, message_id), from_attributes=True)
