"""What the referral pages show, prepared in Python: deadline rows, history rows, event forms, form input."""
from datetime import datetime

from sqlmodel import Session

from api.pages.common import DEADLINE_STATUS_LABELS, UNIT_LABELS, local_time
from api.pages.history import history_rows
from domain.enums import DeadlineStatus, Role
from domain.referral_models import Referral
from domain.referral_schemas import ReferralPublic
from domain.schemas import DeadlinePublic
from services.context import Context
from services.referral_queries import referral_public
from services.referrals import REQUIRED, SUBJECT
from states.referral import EVENT_LABELS, STATE_LABELS

# Audit actions of a referral that are not lifecycle events.
HISTORY_LABELS = {**EVENT_LABELS, "propose": "提请移送", "attach": "上传附件"}
# What each event's form asks for (the service checks it); every other event takes an optional reason.
EVENT_FIELDS = {"decline": ("decision_doc_no", "reason"), "forward": ("forwarded_to", "reason"),
                "reply": ("reply",), "close": ("reply",), "check_progress": ("reply",)}
REQUIRED_FIELDS = {event: {field} for event, (field, _message) in REQUIRED.items()}  # marked on the form
TRANSITION_FIELDS = ("event", "expected_version", "reason", "decision_doc_no", "forwarded_to", "reply")
COPY_MARK = "抄告（仅查阅）"


def period(amount: int, unit: str) -> str:
    """'3 个工作日', '24 小时', '2 个月'."""
    label = UNIT_LABELS.get(unit, unit)
    return f"{amount} {label}" if unit in ("hours", "months") else f"{amount} 个{label}"


def deadline_view(d: DeadlinePublic, now: datetime) -> dict:
    """One deadline as a table row: hour clocks show the due time, day clocks the last day."""
    hours = d.unit == "hours"
    due = local_time(d.due_at) if hours or d.last_day is None else local_time(d.last_day)
    if d.status != DeadlineStatus.OPEN:
        left = "—"
    elif d.overdue:
        late = -(d.days_left or 0)
        left = f"已超期 {late} 个工作日" if late > 0 and not hours else "已超期"
    elif hours:
        left = f"剩余 {max(int((d.due_at - now).total_seconds() // 3600), 0)} 小时"
    else:
        left = f"剩余 {d.days_left} 个工作日"
    return {"id": d.id, "label": d.label, "unit": period(d.amount, d.unit), "due": due,
            "left": left, "overdue": d.overdue, "provisional": d.provisional, "status": d.status,
            "status_label": DEADLINE_STATUS_LABELS.get(d.status, d.status)}


def nearest_open(deadlines: list[DeadlinePublic]) -> DeadlinePublic | None:
    """The open deadline that falls due first."""
    running = [d for d in deadlines if d.status == DeadlineStatus.OPEN]
    return min(running, key=lambda d: d.due_at, default=None)


def copy_only(ctx: Context, referral: ReferralPublic) -> bool:
    """The actor reads this referral as a copy (抄告) to their department: look, do not act."""
    return ctx.actor.role == Role.LIAISON and ctx.actor.department_id != referral.department_id


def referral_row(ctx: Context, referral: Referral) -> dict:
    """A referral for a list: the public view, its nearest open deadline, whether it is a copy."""
    view = referral_public(ctx, referral)
    nearest = nearest_open(view.deadlines)
    return {"r": view, "nearest": deadline_view(nearest, ctx.now) if nearest else None,
            "is_copy": copy_only(ctx, view)}


def referral_history(session: Session, referral_id: int) -> list[dict]:
    """The referral's audit trail, oldest first, in Chinese (an upload shows its file name)."""
    return history_rows(session, SUBJECT, referral_id, actions=HISTORY_LABELS, states=STATE_LABELS)


def event_forms(events: list[str]) -> list[dict]:
    """One small form per allowed event, with the fields it needs and which of them are required."""
    return [{"event": event, "label": EVENT_LABELS[event], "fields": EVENT_FIELDS.get(event, ("reason",)),
             "required": REQUIRED_FIELDS.get(event, set())} for event in events]


def transition_input(form: dict[str, str]) -> dict:
    """ReferralTransitionIn's input from one event form: the non-blank fields, stripped."""
    return {key: value for key in TRANSITION_FIELDS if (value := (form.get(key) or "").strip())}
