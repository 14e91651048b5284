"""The in-app inbox (站内消息): list, unread count, mark read."""
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import select

from api.deps import current_user, get_runtime
from domain.models import InboxMessage, User
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
    mine = InboxMessage.user_id == user.id
    with runtime.db.read() as session:
        unread = session.exec(select(func.count()).where(mine, InboxMessage.read_at.is_(None))).one()
        rows = session.exec(select(InboxMessage).where(mine).order_by(InboxMessage.id.desc()).limit(100))
        return InboxPage(unread=unread, items=[InboxItem.model_validate(r, from_attributes=True) for r in rows])


@router.post("/{message_id}/read", response_model=InboxItem)
def mark_read(message_id: int, user: User = Depends(current_user), runtime: Runtime = Depends(get_runtime)):
    with runtime.db.write() as session:
        message = session.get(InboxMessage, message_id)
        if message is None or message.user_id != user.id:
            raise HTTPException(404, detail="消息不存在")
        message.read_at = message.read_at or runtime.clock()
        return InboxItem.model_validate(message, from_attributes=True)
