"""Around a supervision round: the quarterly-plan warning, publication after assessment and approval,
the written report to the city government, and the read views."""
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import select

from documents.render import render_document
from domain.calendar import SHANGHAI
from domain.coordination_models import Finding, SupervisionRound, SupervisionTarget
from domain.coordination_schemas import FindingPublic, RoundPublic
from domain.enums import Role
from domain.models import Deadline, Department, User
from notifications.templates import MessageKind
from services import audit
from services.authz import require_role
from services.context import SYSTEM, Context
from services.errors import InvalidInput, TransitionRefused
from services.outbox import notify
from services.runtime import Runtime
from services.supervision import FINDING, ROUND, load_finding, load_round
from services.tip_queries import deadline_public
from states.binding import enabled_events
from states.supervision import (
    FINDING_EVENT_ROLES, FINDING_STATE_LABELS, ROUND_EVENT_ROLES, ROUND_STATE_LABELS, SUPERVISORS, FindingMachine,
    RoundMachine,
)


def quarter_end(year: int, quarter: int) -> date:
    first_of_next = date(year + (quarter == 4), 1 if quarter == 4 else quarter * 3 + 1, 1)
    return first_of_next - timedelta(days=1)


def check_quarter_plan(runtime: Runtime) -> bool:
    """Warn the supervision group once a quarter when, a month before it ends, no round is planned."""
    with runtime.write(SYSTEM) as ctx:
        today = ctx.now.astimezone(SHANGHAI).date()
        year, quarter = today.year, (today.month - 1) // 3 + 1
        section = ctx.policy.raw.get("supervision", {})
        end = quarter_end(year, quarter)
        if today < end - timedelta(days=int(section.get("warn_days_before_quarter_end", 30))):
            return False
        planned = ctx.session.exec(select(func.count()).select_from(SupervisionRound).where(
            SupervisionRound.year == year, SupervisionRound.quarter == quarter)).one()
        if planned >= int(section.get("rounds_per_quarter", 1)):
            return False
        leads = list(ctx.session.exec(select(User).where(User.role == Role.SUPERVISOR, User.active.is_(True))))
        notify(ctx, people=leads, kind=MessageKind.QUARTER_UNPLANNED,
               context={"year": year, "quarter": quarter, "quarter_end": end.isoformat(),
                        "rounds": section.get("rounds_per_quarter", 1)},
               key=f"quarter:{year}Q{quarter}:unplanned", subject_type=ROUND, subject_id=0)
        return True


def record_assessment(ctx: Context, round_id: int, text: str) -> SupervisionRound:
    """舆情评估: recorded before anything of the round may be published."""
    require_role(ctx, SUPERVISORS, action="记录舆情评估")
    rnd = load_round(ctx, round_id)
    rnd.opinion_assessment, rnd.assessed_by, rnd.publish_approved_by = text, ctx.actor.id, None
    audit.record(ctx, subject_type=ROUND, subject_id=rnd.id, action="opinion_assessed", reason=text)
    return rnd


def approve_publication(ctx: Context, round_id: int) -> SupervisionRound:
    require_role(ctx, {Role.HEAD}, action="审批公开")
    rnd = load_round(ctx, round_id)
    if not rnd.opinion_assessment:
        raise TransitionRefused("approve_publication", rnd.status, ["record_assessment"], "须先完成舆情评估，方可审批公开")
    rnd.publish_approved_by = ctx.actor.id
    audit.record(ctx, subject_type=ROUND, subject_id=rnd.id, action="publication_approved")
    return rnd


def publish(ctx: Context, round_id: int) -> SupervisionRound:
    """Publishing is refused until an assessment is recorded and approved (no release without both)."""
    require_role(ctx, SUPERVISORS, action="公开督导结果")
    rnd = load_round(ctx, round_id)
    if rnd.status not in ("findings_issued", "reported_to_gov", "closed"):
        raise TransitionRefused("publish", rnd.status, [], "督导意见反馈后才能公开")
    if not rnd.opinion_assessment or rnd.publish_approved_by is None:
        missing = "舆情评估" if not rnd.opinion_assessment else "公开审批"
        raise TransitionRefused("publish", rnd.status, [], f"未完成{missing}，不得公开督导结果")
    rnd.published_at = ctx.now
    audit.record(ctx, subject_type=ROUND, subject_id=rnd.id, action="published")
    return rnd


def round_public(ctx: Context, rnd: SupervisionRound) -> RoundPublic:
    targets = ctx.session.exec(select(SupervisionTarget).where(SupervisionTarget.round_id == rnd.id))
    enabled = enabled_events(RoundMachine, rnd)
    return RoundPublic(**rnd.model_dump(), status_label=ROUND_STATE_LABELS[rnd.status],
                       publish_approved=rnd.publish_approved_by is not None,
                       targets=[{"id": t.id, "name": t.name, "department_id": t.department_id} for t in targets],
                       allowed_events=[e for e in enabled if ctx.actor.role in ROUND_EVENT_ROLES[e]])


def finding_public(ctx: Context, finding: Finding) -> FindingPublic:
    target = ctx.session.get(SupervisionTarget, finding.target_id)
    deadlines = ctx.session.exec(select(Deadline).where(Deadline.subject_type == FINDING,
                                                        Deadline.subject_id == finding.id).order_by(Deadline.id))
    enabled = enabled_events(FindingMachine, finding)
    own = ctx.actor.role != Role.LIAISON or ctx.actor.department_id == finding.department_id
    return FindingPublic(
        **finding.model_dump(), target_name=target.name, status_label=FINDING_STATE_LABELS[finding.status],
        deadlines=[deadline_public(d, policy=ctx.policy, calendar=ctx.calendar, now=ctx.now) for d in deadlines],
        allowed_events=[e for e in enabled if own and ctx.actor.role in FINDING_EVENT_ROLES[e]],
    )


def list_findings(ctx: Context, *, round_id: int | None = None) -> list[Finding]:
    """A target unit sees only its own findings; the office and the group see all."""
    query = select(Finding).order_by(Finding.id)
    if ctx.actor.role == Role.LIAISON:
        query = query.where(Finding.department_id == ctx.actor.department_id)
    if round_id is not None:
        query = query.where(Finding.round_id == round_id)
    return list(ctx.session.exec(query))


def render_notice(ctx: Context, finding_id: int) -> str:
    """整改通知书."""
    finding = finding_public(ctx, load_finding(ctx, finding_id))
    return render_document("rectification_notice.html.j2", finding=finding, office=_office(ctx))


def render_government_report(ctx: Context, round_id: int) -> str:
    """督导情况书面报告 to the city government, generated from the round's data."""
    rnd = load_round(ctx, round_id)
    if rnd.status == "planned":
        raise InvalidInput("round_id", "督导尚未开展，无法生成报告")
    findings = [finding_public(ctx, f) for f in list_findings(ctx, round_id=rnd.id)]
    open_items = [f for f in findings if f.status != "closed"]
    return render_document("supervision_report.html.j2", round=round_public(ctx, rnd), number=rnd.report_number,
                           findings=findings, open_items=open_items, office=_office(ctx),
                           today=ctx.now.astimezone(SHANGHAI).date())


def _office(ctx: Context) -> str:
    return ctx.session.exec(select(Department.name).where(Department.kind == "office")).first() or "本局"
