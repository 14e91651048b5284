"""The in-app inbox (站内消息): a user's messages, the unread count, marking read."""
from sqlalchemy import func
from sqlmodel import Session, select

from domain.models import InboxMessage
from services.context import Context
from services.errors import NotFound


def messages(session: Session, user_id: int, *, limit: int = 100) -> list[InboxMessage]:
    query = select(InboxMessage).where(InboxMessage.user_id == user_id).order_by(InboxMessage.id.desc())
    return list(session.exec(query.limit(limit)))


def unread(session: Session, user_id: int) -> int:
    query = select(func.count()).where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
    return session.exec(query).one()


def mark_read(ctx: Context, message_id: int) -> InboxMessage:
    """Mark one of the acting user's messages read (someone else's: 404)."""
    message = ctx.session.get(InboxMessage, message_id)
    if message is None or message.user_id != ctx.actor.id:
        raise NotFound("消息不存在")
    message.read_at = message.read_at or ctx.now
    return message


def mark_all_read(ctx: Context) -> int:
    query = select(InboxMessage).where(InboxMessage.user_id == ctx.actor.id, InboxMessage.read_at.is_(None))
    rows = list(ctx.session.exec(query))
    for message in rows:
        message.read_at = ctx.now
    return len(rows)
