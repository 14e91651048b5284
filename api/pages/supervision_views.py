"""What the supervision pages (督导整改) show, prepared in Python, and their form input and Chinese errors."""
from pydantic import ValidationError
from sqlmodel import select

from api.pages.forms import field_name, form_failure, translate
from api.pages.history import history_rows
from domain.coordination_models import Finding, SupervisionRound
from domain.coordination_schemas import FindingPublic
from domain.enums import DeadlineStatus
from domain.models import Deadline, Department, Institution
from domain.schemas import DeadlinePublic
from services.context import Context
from services.supervision import FINDING, TEXT_REQUIRED
from services.supervision_reports import finding_public, list_findings
from states.supervision import EVENT_LABELS, FINDING_STATE_LABELS, ROUND_STATE_LABELS

DEADLINE_CHOICES = (("immediate", "立即整改"), ("30d", "30 日内"), ("2m", "2 个月内"), ("6m", "6 个月内"),
                    ("date", "指定日期"))
# Fields entered by choosing: whatever is wrong with them, the person has to choose.
CHOOSE_MESSAGES = {"targets": "请至少选择一个督导对象", "target_id": "请选择督导对象", "quarter": "请选择季度",
                   "deadline_option": "请选择整改期限", "event": "请选择操作"}
DATE_MESSAGE = "请输入日期，格式如 2026-09-21"
DUE_DATE_MESSAGE = "选择“指定日期”时须填写整改期限日期；其他期限不填日期"
HISTORY_LABELS = {**EVENT_LABELS, "plan": "制定督导计划", "issue": "下达整改通知", "opinion_assessed": "记录舆情评估",
                  "publication_approved": "审批公开", "published": "公开督导结果"}
STATE_LABELS = {**ROUND_STATE_LABELS, **FINDING_STATE_LABELS}


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Chinese messages per form field, with the supervision forms' own wording for choices and dates."""
    errors = translate(exc)
    for error in exc.errors():
        field = field_name(error["loc"])
        if field in CHOOSE_MESSAGES:
            errors[field] = CHOOSE_MESSAGES[field]
        elif error["type"].startswith("date"):
            errors[field] = DATE_MESSAGE
        elif field == "_form" and error["type"] == "value_error":  # FindingCreate: due date with "date" only
            errors.pop("_form", None)
            errors["due_date"] = DUE_DATE_MESSAGE
    return errors


def failure(exc: Exception, title: str) -> tuple[int, str, dict[str, str]]:
    """(status, message, errors by field) for a refused supervision form."""
    if isinstance(exc, ValidationError):
        errors = field_errors(exc)
        return 422, f"“{title}”未能提交：" + "；".join(errors.values()), errors
    return form_failure(exc, title)


def round_input(form: dict[str, str], targets: list[str]) -> dict:
    """RoundCreate's input from the plan form; a target is posted as dept:<id> or inst:<id>."""
    data: dict = {key: value for key in ("year", "quarter", "title", "planned_start")
                  if (value := (form.get(key) or "").strip())}
    data["government_review"] = form.get("government_review") == "yes"
    data["targets"] = [target_ref(value) for value in targets if target_ref(value)]
    return data


def target_ref(value: str) -> dict | None:
    """'dept:3' -> {'department_id': '3'}; anything else -> None."""
    kind, _, row_id = value.partition(":")
    key = {"dept": "department_id", "inst": "institution_id"}.get(kind)
    return {key: row_id} if key and row_id.isdigit() else None


def finding_input(form: dict[str, str]) -> dict:
    """FindingCreate's input from the issue form: the non-blank fields, stripped."""
    return {key: value for key in ("target_id", "description", "requirement", "deadline_option", "due_date")
            if (value := (form.get(key) or "").strip())}


def event_input(form: dict[str, str]) -> dict:
    """EventIn's input from one event form."""
    return {key: value for key in ("event", "expected_version", "text") if (value := (form.get(key) or "").strip())}


def target_choices(ctx: Context) -> list[tuple[str, str]]:
    """Who a round may look at: the departments and townships (not the office itself), then institutions."""
    departments = ctx.session.exec(select(Department).where(Department.kind != "office").order_by(Department.id))
    institutions = ctx.session.exec(select(Institution).order_by(Institution.code))
    return ([(f"dept:{d.id}", d.name) for d in departments] +
            [(f"inst:{i.id}", f"{i.name}（定点医药机构）") for i in institutions])


def _open_rect(ctx: Context, finding_ids: list[int]) -> list[Deadline]:
    if not finding_ids:
        return []
    query = select(Deadline).where(Deadline.subject_type == FINDING, Deadline.subject_id.in_(finding_ids),
                                   Deadline.kind.startswith("rect_"), Deadline.status == DeadlineStatus.OPEN)
    return list(ctx.session.exec(query))


def round_rows(ctx: Context, rounds: list[SupervisionRound]) -> list[dict]:
    """Each round with its findings counted: not yet closed, and overdue (rectification clock past due)."""
    findings = list(ctx.session.exec(select(Finding).where(Finding.round_id.in_([r.id for r in rounds]))))
    overdue_ids = {d.subject_id for d in _open_rect(ctx, [f.id for f in findings]) if d.due_at <= ctx.now}
    rows = []
    for rnd in rounds:
        mine = [f for f in findings if f.round_id == rnd.id]
        rows.append({"r": rnd, "status_label": ROUND_STATE_LABELS[rnd.status], "total": len(mine),
                     "open": sum(f.status != "closed" for f in mine),
                     "overdue": sum(f.id in overdue_ids for f in mine)})
    return rows


def rectification_clock(finding: FindingPublic) -> DeadlinePublic | None:
    """The finding's rectification deadline: the running (or paused) one, else the last one."""
    clocks = [d for d in finding.deadlines if d.kind.startswith("rect_")]
    running = [d for d in clocks if d.status in (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)]
    return (running or clocks or [None])[-1]


def finding_rows(ctx: Context, *, round_id: int | None = None) -> list[dict]:
    """Findings the actor may see (a liaison: its own unit's), each with its rectification clock."""
    rows = []
    for finding in list_findings(ctx, round_id=round_id):
        view = finding_public(ctx, finding)
        rows.append({"f": view, "clock": rectification_clock(view), "forms": event_forms(view.allowed_events)})
    return rows


def event_forms(events: list[str]) -> list[dict]:
    """One small form per allowed event, saying whether its text is required."""
    return [{"event": e, "label": EVENT_LABELS[e], "required": e in TEXT_REQUIRED} for e in events]


def history(ctx: Context, subject_type: str, subject_id: int) -> list[dict]:
    """The subject's audit trail in Chinese, oldest first (escalation steps such as 约谈、通报 included)."""
    return history_rows(ctx.session, subject_type, subject_id, actions=HISTORY_LABELS, states=STATE_LABELS)
