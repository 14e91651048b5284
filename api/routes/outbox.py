"""Delivery problems made visible: failed and uncertain messages, and re-sending them (admin)."""
from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import select

from api.deps import allow, get_runtime
from domain.enums import OutboxStatus, Role
from domain.models import Outbox
from services import audit
from services.context import Actor
from services.outbox import requeue
from services.runtime import Runtime

router = APIRouter(prefix="/outbox", tags=["notifications"])
admin = allow(Role.ADMIN)


class OutboxPublic(BaseModel):
    id: int
    kind: str
    channel: str
    title: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@router.get("", response_model=list[OutboxPublic])
def messages(status: OutboxStatus = Query(default=OutboxStatus.FAILED), actor: Actor = Depends(admin),
             runtime: Runtime = Depends(get_runtime)):
    """Messages in one delivery state (default: failed), newest first."""
    with runtime.db.read() as session:
        rows = session.exec(select(Outbox).where(Outbox.status == status).order_by(Outbox.id.desc()).limit(500))
        return [OutboxPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/{row_id}/requeue", response_model=OutboxPublic)
def resend(row_id: int, actor: Actor = Depends(admin), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        row = requeue(ctx, row_id)
        audit.record(ctx, subject_type=row.subject_type, subject_id=row.subject_id, action="message_requeued",
                     detail={"outbox": row.id, "channel": row.channel})
        return OutboxPublic.model_validate(row, from_attributes=True)
