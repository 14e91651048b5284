"""Information reports (信息报告): weekly from village supervisors to their township, monthly from township
administrators to the city office, major matters within hours of being found. Classified information never
goes over the network; routine reports and major cases are written; lateness is flagged and listed."""
from calendar import monthrange
from datetime import date, timedelta, timezone

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from domain.calendar import SHANGHAI
from domain.coordination_models import InfoReport
from domain.enums import Role
from domain.meeting_schemas import InfoEventIn, InfoReportPublic, InfoSubmitIn, MajorReportIn
from domain.models import Department, User
from notifications.templates import MessageKind
from services import audit
from services.authz import require_role
from services.context import SYSTEM, Context
from services.deadlines import close_deadlines, start_deadline
from services.errors import Forbidden, InvalidInput, NotFound
from services.lifecycle import check_version, moving
from services.outbox import notify
from services.runtime import Runtime
from services.subjects import SubjectInfo
from states.binding import enabled_events
from states.meeting import INFO_EVENT_LABELS, INFO_STATE_LABELS, REPORTERS, InfoReportMachine

INFO = "info_report"
KIND_LABELS = {"weekly": "村级监督信息周报", "monthly": "乡镇监管信息月报", "major": "重大信息快报"}
CHANNEL_LABELS = {"paper": "纸质", "network": "网络", "phone": "电话"}
CATEGORY_LABELS = {"case": "重大案情", "opinion": "重大舆情风险"}
CADENCE = {"weekly": Role.GRID_INSPECTOR, "monthly": Role.TOWNSHIP_ADMIN}
CITY_ROLES = frozenset({Role.MEETING_OFFICE, Role.CONVENER, Role.HEAD})
OPEN = ("due",)  # a returned report was submitted once: it is not missing


def section(ctx: Context) -> dict:
    return ctx.policy.raw.get("info_reports", {})


def period_of(ctx: Context, kind: str, day: date) -> tuple[date, date]:
    """(first day, due day) of the week or month containing `day`, per the policy's due weekday/day."""
    if kind == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=int(section(ctx).get("weekly_due_weekday", 5)) - 1)
    start = day.replace(day=1)
    last = monthrange(day.year, day.month)[1]
    return start, start.replace(day=min(int(section(ctx).get("monthly_due_day", 25)), last))


def generate_due_reports(runtime: Runtime) -> int:
    """This period's weekly and monthly rows, once per reporter and period, each with its deadline."""
    created = 0
    with runtime.write(SYSTEM) as ctx:
        today = ctx.now.astimezone(SHANGHAI).date()
        for kind, role in CADENCE.items():
            start, due_day = period_of(ctx, kind, today)
            have = set(ctx.session.exec(select(InfoReport.reporter_id).where(InfoReport.kind == kind,
                                                                             InfoReport.period_start == start)))
            reporters = ctx.session.exec(select(User).where(User.role == role, User.active.is_(True)))
            for user in [u for u in reporters if u.id not in have]:
                created += _create_due(ctx, user, kind, start, max((due_day - today).days, 0))
    return created


def _create_due(ctx: Context, user: User, kind: str, start: date, days: int) -> int:
    """One due row and its clock; 0 when a concurrent sweep made it first."""
    unit = ctx.session.get(Department, user.department_id) if user.department_id else None
    try:
        with ctx.session.begin_nested():
            report = InfoReport(kind=kind, reporter_id=user.id, area=unit.name if unit else "未指定", period_start=start)
            ctx.session.add(report)
            ctx.session.flush()
    except IntegrityError:
        return 0
    deadline = start_deadline(ctx, subject_type=INFO, subject_id=report.id, kind=f"info_{kind}", amount=days)
    report.due_at = deadline.due_at
    audit.record(ctx, subject_type=INFO, subject_id=report.id, action="generate", to_state=report.status,
                 detail={"reporter": user.display_name, "period_start": start.isoformat()})
    return 1


def check_channel(ctx: Context, *, kind: str, category: str | None, channel: str, classified: bool) -> None:
    """Classified: never over the network; routine reports and major cases: in writing (paper or network)."""
    if classified and channel == "network":
        raise InvalidInput("channel", "涉密信息不得通过网络报送，请改用纸质或电话方式报送")
    written = kind in section(ctx).get("written_kinds", ("weekly", "monthly")) or \
        (kind == "major" and category in section(ctx).get("written_categories", ("case",)))
    if written and channel == "phone":
        raise InvalidInput("channel", "该类信息须以书面形式（纸质或网络）报送，不能仅电话报告")


def _scope(ctx: Context, query):
    """Reporters see their own; a township administrator also its township's; the city sees all."""
    role = ctx.actor.role
    if ctx.actor.is_system or role in CITY_ROLES:
        return query
    if role == Role.TOWNSHIP_ADMIN:
        local = select(User.id).where(User.department_id == ctx.actor.department_id)
        return query.where(InfoReport.reporter_id.in_(local))
    if role == Role.GRID_INSPECTOR:
        return query.where(InfoReport.reporter_id == ctx.actor.id)
    raise Forbidden("当前角色无权查看信息报告")


def load_report(ctx: Context, report_id: int, *, for_update: bool = False) -> InfoReport:
    """A report within the caller's scope (404 outside it); `for_update` row-locks it."""
    query = _scope(ctx, select(InfoReport).where(InfoReport.id == report_id))
    report = ctx.session.exec(query.with_for_update(of=InfoReport) if for_update else query).first()
    if report is None:
        raise NotFound(f"信息报告 {report_id} 不存在")
    return report


def submit(ctx: Context, report_id: int, data: InfoSubmitIn) -> InfoReport:
    """The reporter submits a due (or returned) report; late when past its due time."""
    require_role(ctx, REPORTERS, action="报送信息报告")
    report = load_report(ctx, report_id, for_update=True)
    if report.reporter_id != ctx.actor.id:
        raise Forbidden("只能报送本人的信息报告")
    check_version(report, data.expected_version)
    from_state, first = report.status, report.submitted_at is None
    with moving(report, InfoReportMachine, "submit", state_labels=INFO_STATE_LABELS, event_labels=INFO_EVENT_LABELS):
        check_channel(ctx, kind=report.kind, category=report.category, channel=data.channel,
                      classified=data.classified)
    report.channel, report.classified, report.content = data.channel, data.classified, data.content
    report.late = report.late or (first and report.due_at is not None and ctx.now >= report.due_at)
    report.submitted_at, report.version = ctx.now, report.version + 1
    close_deadlines(ctx, subject_type=INFO, subject_id=report.id)
    audit.record(ctx, subject_type=INFO, subject_id=report.id, action="submit", from_state=from_state,
                 to_state=report.status, detail={"channel": data.channel, "late": report.late})
    _tell_receiver(ctx, report)
    return report


def _receivers(ctx: Context, report: InfoReport) -> list[User]:
    """Weekly: the township's administrators; monthly and major: the city office (major also the convener)."""
    active = select(User).where(User.active.is_(True))
    if report.kind == "weekly":
        reporter = ctx.session.get(User, report.reporter_id)
        return list(ctx.session.exec(active.where(User.role == Role.TOWNSHIP_ADMIN,
                                                  User.department_id == reporter.department_id)))
    roles = [Role.MEETING_OFFICE] + ([Role.CONVENER] if report.kind == "major" else [])
    return list(ctx.session.exec(active.where(User.role.in_(roles)).order_by(User.id)))


def _tell_receiver(ctx: Context, report: InfoReport) -> None:
    reporter = ctx.session.get(User, report.reporter_id)
    common = {"reporter": reporter.display_name, "area": report.area, "late": report.late,
              "channel_label": CHANNEL_LABELS[report.channel]}
    if report.kind == "major":
        kind, context = MessageKind.INFO_REPORT_MAJOR, {
            **common, "category_label": CATEGORY_LABELS[report.category], "classified": report.classified,
            "content": report.content[:1500], "hours": ctx.policy.rule(_major_kind(ctx)).amount,
            "found": report.found_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            "submitted": report.submitted_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")}
    else:
        kind, context = MessageKind.INFO_REPORT_RECEIVED, {
            **common, "kind_label": KIND_LABELS[report.kind], "period": report.period_start.isoformat()}
    notify(ctx, people=_receivers(ctx, report), kind=kind, context=context,
           key=f"info:{report.id}:submitted:v{report.version}", subject_type=INFO, subject_id=report.id)


def _major_kind(ctx: Context) -> str:
    return section(ctx).get("major_deadline", "info_major")


def report_major(ctx: Context, data: MajorReportIn) -> InfoReport:
    """重大信息: reported at once; late when past the policy's hours from when the matter was found."""
    require_role(ctx, REPORTERS, action="报告重大信息")
    if data.found_at.tzinfo is None or data.found_at > ctx.now:
        raise InvalidInput("found_at", "发现时间须为已过去的时间（含时区）")
    check_channel(ctx, kind="major", category=data.category, channel=data.channel, classified=data.classified)
    rule = ctx.policy.rule(_major_kind(ctx))
    found = data.found_at.astimezone(timezone.utc)
    due = ctx.calendar.due(found, rule.amount, rule.unit).at.astimezone(timezone.utc)
    unit = ctx.session.get(Department, ctx.actor.department_id) if ctx.actor.department_id else None
    report = InfoReport(kind="major", reporter_id=ctx.actor.id, area=unit.name if unit else "未指定",
                        period_start=data.found_at.astimezone(SHANGHAI).date(), status="submitted",
                        channel=data.channel, classified=data.classified, content=data.content,
                        category=data.category, found_at=found, due_at=due, submitted_at=ctx.now,
                        late=ctx.now > due)
    ctx.session.add(report)
    ctx.session.flush()
    audit.record(ctx, subject_type=INFO, subject_id=report.id, action="report_major", to_state=report.status,
                 detail={"channel": data.channel, "late": report.late, "category": data.category})
    _tell_receiver(ctx, report)
    return report


def _may_review(ctx: Context, report: InfoReport) -> bool:
    """Weekly reports are received by their township's administrator; the rest by the city office."""
    if report.kind == "weekly":
        reporter = ctx.session.get(User, report.reporter_id)
        return ctx.actor.role == Role.TOWNSHIP_ADMIN and ctx.actor.department_id == reporter.department_id
    return ctx.actor.role == Role.MEETING_OFFICE


def review(ctx: Context, report_id: int, data: InfoEventIn) -> InfoReport:
    """Accept a submitted report, or return it for correction (补正) with a reason."""
    require_role(ctx, {Role.TOWNSHIP_ADMIN, Role.MEETING_OFFICE}, action=INFO_EVENT_LABELS[data.event])
    report = load_report(ctx, report_id, for_update=True)
    if not _may_review(ctx, report):
        raise Forbidden("该信息报告不由你接收：周报由所在乡镇医保管理员接收，月报和重大信息由联席会议办公室接收")
    check_version(report, data.expected_version)
    from_state = report.status
    with moving(report, InfoReportMachine, data.event, state_labels=INFO_STATE_LABELS,
                event_labels=INFO_EVENT_LABELS):
        if data.event == "return_report" and not data.text:
            raise InvalidInput("text", "请写明退回补正的原因")
    report.version += 1
    report.review_note = data.text if data.event == "return_report" else report.review_note
    audit.record(ctx, subject_type=INFO, subject_id=report.id, action=data.event, from_state=from_state,
                 to_state=report.status, reason=data.text)
    return report


def list_reports(ctx: Context, *, overdue: bool = False, kind: str | None = None) -> list[InfoReport]:
    """Reports in the caller's scope; `overdue`: late ones and missing ones (still open past their due time)."""
    query = _scope(ctx, select(InfoReport)).order_by(InfoReport.period_start.desc(), InfoReport.id)
    if kind is not None:
        query = query.where(InfoReport.kind == kind)
    if overdue:
        query = query.where(or_(InfoReport.late.is_(True),
                                (InfoReport.status.in_(OPEN)) & (InfoReport.due_at <= ctx.now)))
    return list(ctx.session.exec(query))


def info_public(ctx: Context, report: InfoReport) -> InfoReportPublic:
    reporter = ctx.session.get(User, report.reporter_id)
    allowed = [e for e in enabled_events(InfoReportMachine, report)
               if (e == "submit" and ctx.actor.id == report.reporter_id)
               or (e != "submit" and _may_review(ctx, report))]
    missing = report.status in OPEN and report.due_at is not None and report.due_at <= ctx.now
    return InfoReportPublic(**report.model_dump(), kind_label=KIND_LABELS[report.kind],
                            reporter_name=reporter.display_name, status_label=INFO_STATE_LABELS[report.status],
                            missing=missing, allowed_events=allowed)


def describe_info_report(session, subject_id: int) -> SubjectInfo | None:
    report = session.get(InfoReport, subject_id)
    if report is None:
        return None
    return SubjectInfo(f"{report.area}·{report.period_start.isoformat()}", INFO_STATE_LABELS[report.status],
                       report.reporter_id, None, closed=report.status != "due")
