"""Referral use cases (移送): propose (to several departments at once), move along the lifecycle, attach.

The office side acts on every referral; a liaison acts only on referrals addressed to their department
and cannot learn that others exist (404). Every clock comes from the policy, in its own unit.
"""
from sqlmodel import select

from documents.render import document_number
from domain.calendar import SHANGHAI
from domain.enums import Role
from domain.models import Department, Tip, User
from domain.referral_models import Referral
from domain.referral_schemas import ReferralCreate, ReferralTransitionIn
from notifications.templates import MessageKind
from services import audit
from services.authz import require_role
from services.context import Actor, Context
from services.errors import Forbidden, InvalidInput, NotFound
from services.lifecycle import apply_clocks, check_version, move
from services.numbers import next_number
from services.outbox import notify
from services.subjects import SubjectInfo
from states.referral import EVENT_LABELS, EVENT_ROLES, STATE_LABELS, TRACK_LABELS, Track, machine_for

SUBJECT = "referral"
PROPOSE_ROLES = {Role.INVESTIGATOR, Role.SECTION_CHIEF}
REFERABLE_TIP_STATES = {"accepted", "investigating", "extension_requested", "concluded"}
TRACK_OF_KIND = {"police": Track.POLICE, "discipline": Track.DISCIPLINE}
NOT_REFERABLE_KINDS = {"office", "procuratorate", "government", "township"}

STARTS: dict[str, tuple[str, ...]] = {
    "propose": ("referral_approval",), "approve": ("referral_send",), "send_letter": ("police_ack", "department_ack"),
    "sign": ("police_decision", "supplement_notice"), "request_supplement": ("supplement",), "supply": ("police_decision",),
    "decline": ("reconsideration_request",), "request_reconsideration": ("reconsideration_decision",),
    "uphold": ("supervision_request",), "file": ("exhibits_handover",), "track": ("outcome_check",),
    "check_progress": ("outcome_check",), "acknowledge": ("department_reply",),
}
STOPS: dict[str, set[str]] = {
    "approve": {"referral_approval"}, "refuse": {"referral_approval"}, "send_letter": {"referral_send"},
    "sign": {"police_ack"}, "acknowledge": {"department_ack"},
    "request_supplement": {"police_decision", "supplement_notice"}, "supply": {"supplement"},
    "forward": {"police_decision", "supplement_notice"}, "decline": {"police_decision", "supplement_notice"},
    "file": {"police_decision", "reconsideration_decision", "supplement_notice"}, "request_reconsideration": {"reconsideration_request"},
    "uphold": {"reconsideration_decision"}, "propose_supervision": {"supervision_request"},
    "return_to_admin": {"reconsideration_request", "supervision_request"}, "hand_over": {"exhibits_handover"},
    "reply": {"department_reply"}, "check_progress": {"outcome_check"},
}
REQUIRED = {  # event -> (field, Chinese message) that must be filled
    "refuse": ("reason", "请填写不予移送的理由"), "decline": ("decision_doc_no", "请填写不予立案通知书文号"),
    "forward": ("forwarded_to", "请填写转交的有管辖权机关"), "request_supplement": ("reason", "请写明需补充的材料"),
    "request_reconsideration": ("reason", "请填写提请复议的理由"), "propose_supervision": ("reason", "请填写建议立案监督的理由"),
    "return_to_admin": ("reason", "请填写退回行政处理的理由"), "reply": ("reply", "请填写处理结果"),
    "check_progress": ("reply", "请填写了解到的办理进展"),
}


def propose_referrals(ctx: Context, tip_id: int, data: ReferralCreate) -> list[Referral]:
    """提请移送: one referral per department, each awaiting the principal head's approval (3 days)."""
    require_role(ctx, PROPOSE_ROLES, action="提请移送")
    tip = ctx.session.get(Tip, tip_id)
    if tip is None:
        raise NotFound(f"举报 {tip_id} 不存在")
    if tip.status not in REFERABLE_TIP_STATES:
        raise InvalidInput("tip_id", "只有已立案的案件可以移送")
    referrals = [_new_referral(ctx, tip, _department(ctx, tip, dept_id), data) for dept_id in data.department_ids]
    ctx.session.flush()
    for referral in referrals:
        audit.record(ctx, subject_type=SUBJECT, subject_id=referral.id, action="propose", to_state=referral.status,
                     detail={"tip": tip.number, "department_id": referral.department_id})
        apply_clocks(ctx, subject_type=SUBJECT, subject_id=referral.id, event="propose", starts=STARTS, stops=STOPS)
    audit.record(ctx, subject_type="tip", subject_id=tip.id, action="referral_proposed",
                 detail={"referrals": [r.id for r in referrals]})
    return referrals


def _department(ctx: Context, tip: Tip, department_id: int) -> Department:
    department = ctx.session.get(Department, department_id)
    if department is None or department.kind in NOT_REFERABLE_KINDS:
        raise InvalidInput("department_ids", f"部门 {department_id} 不存在或不能作为移送对象")
    open_one = ctx.session.exec(select(Referral.id).where(
        Referral.tip_id == tip.id, Referral.department_id == department_id, Referral.status != "closed")).first()
    if open_one is not None:
        raise InvalidInput("department_ids", f"已向{department.name}移送且尚未办结")
    return department


def _new_referral(ctx: Context, tip: Tip, department: Department, data: ReferralCreate) -> Referral:
    track = TRACK_OF_KIND.get(department.kind, Track.DEPARTMENT)
    copy_to = None
    if track == Track.POLICE and ctx.policy.copy_police_to_procuratorate:
        copy_to = ctx.session.exec(select(Department.id).where(Department.kind == "procuratorate")).first()
    referral = Referral(tip_id=tip.id, department_id=department.id, copy_to_id=copy_to, track=track.value,
                        summary=data.summary, suspected_offence=data.suspected_offence, amount=data.amount,
                        handler_id=ctx.actor.id, proposed_at=ctx.now)
    ctx.session.add(referral)
    return referral


def load_visible(ctx: Context, referral_id: int, *, for_update: bool = False) -> Referral:
    """The referral if the actor may see it (liaisons: their own department's or a copy to it), else 404."""
    query = select(Referral).where(Referral.id == referral_id)
    referral = ctx.session.exec(query.with_for_update() if for_update else query).first()
    if referral is None or not may_see(ctx.actor, referral):
        raise NotFound(f"移送 {referral_id} 不存在")
    return referral


OFFICE_VIEWERS = frozenset({Role.DESK_CLERK, Role.INVESTIGATOR, Role.SECTION_CHIEF, Role.HEAD, Role.AUDITOR,
                            Role.ADMIN})
# The receiving department's own clocks; every other referral clock is the office's job.
RECEIVER_CLOCKS = frozenset({"police_ack", "police_decision", "supplement_notice", "reconsideration_decision",
                             "department_ack", "department_reply"})


def may_see(actor: Actor, referral: Referral) -> bool:
    """Office staff see every referral; a liaison only sent ones addressed or copied to their unit."""
    if actor.role != Role.LIAISON:
        return actor.role in OFFICE_VIEWERS or actor.is_system
    return referral.sent_at is not None and actor.department_id in (referral.department_id, referral.copy_to_id)


def transition_referral(ctx: Context, referral_id: int, data: ReferralTransitionIn) -> Referral:
    """Send one event: role, department, version and state checked; audit, clocks, notices in one commit."""
    if data.event not in EVENT_ROLES:
        raise InvalidInput("event", f"未知的操作“{data.event}”，可用操作：{', '.join(EVENT_ROLES)}")
    referral = load_visible(ctx, referral_id, for_update=True)
    require_role(ctx, EVENT_ROLES[data.event], action=EVENT_LABELS[data.event])
    if ctx.actor.role == Role.LIAISON and ctx.actor.department_id != referral.department_id:
        raise Forbidden("抄告单位只能查阅，不能办理")
    check_version(referral, data.expected_version)
    from_state = referral.status
    move(referral, machine_for(referral.track), data.event, state_labels=STATE_LABELS, event_labels=EVENT_LABELS)
    _apply_payload(ctx, referral, data)
    referral.version += 1
    audit.record(ctx, subject_type=SUBJECT, subject_id=referral.id, action=data.event, from_state=from_state,
                 to_state=referral.status, reason=data.reason or data.reply,
                 detail={k: v for k in ("decision_doc_no", "forwarded_to") if (v := getattr(data, k))})
    apply_clocks(ctx, subject_type=SUBJECT, subject_id=referral.id, event=data.event, starts=STARTS, stops=STOPS,
                 final=referral.status == "closed", skip=lambda kind: not _kind_fits(kind, referral.track))
    _notify_progress(ctx, referral, data.event)
    return referral


def _kind_fits(kind: str, track: str) -> bool:
    """Acknowledgement clocks differ by track: police sign in a day, departments in working days."""
    return {"police_ack": track == Track.POLICE, "department_ack": track != Track.POLICE}.get(kind, True)


def _apply_payload(ctx: Context, referral: Referral, data: ReferralTransitionIn) -> None:
    if data.event in REQUIRED:
        field, message = REQUIRED[data.event]
        if not getattr(data, field):
            raise InvalidInput(field, message)
    if data.event == "send_letter":
        year = ctx.now.astimezone(SHANGHAI).year
        referral.number = document_number(ctx.policy.document_prefix, "移", year,
                                          next_number(ctx.session, key="referral", year=year))
        referral.sent_at = ctx.now
    elif data.event in ("sign", "acknowledge"):
        referral.signed_at, referral.signed_by = ctx.now, ctx.actor.id
    elif data.event == "decline":
        referral.decision_doc_no = data.decision_doc_no
    elif data.event == "forward":
        referral.forwarded_to = data.forwarded_to
    elif data.event in ("reply", "close") and data.reply:
        referral.reply = data.reply
    if referral.status == "closed":
        referral.closed_at = ctx.now


def _liaisons(ctx: Context, department_id: int | None) -> list[User]:
    if department_id is None:
        return []
    return list(ctx.session.exec(select(User).where(User.role == Role.LIAISON, User.department_id == department_id,
                                                    User.active.is_(True)).order_by(User.id)))


def _notify_progress(ctx: Context, referral: Referral, event: str) -> None:
    """The receiving side hears of a new referral; the office's handler hears of the other side's moves."""
    department = ctx.session.get(Department, referral.department_id)
    if event == "send_letter":
        copy = ctx.session.get(Department, referral.copy_to_id) if referral.copy_to_id else None
        office = ctx.session.exec(select(Department.name).where(Department.kind == "office")).first() or "本局"
        people = _liaisons(ctx, referral.department_id) + _liaisons(ctx, referral.copy_to_id)
        notify(ctx, people=people, kind=MessageKind.REFERRAL_RECEIVED,
               context={"number": referral.number, "track_label": TRACK_LABELS[Track(referral.track)],
                        "office": office, "department": department.name, "copy": copy.name if copy else ""},
               key=f"referral:{referral.id}:sent", subject_type=SUBJECT, subject_id=referral.id)
    elif ctx.actor.role == Role.LIAISON:
        handler = ctx.session.get(User, referral.handler_id)
        notify(ctx, people=[handler] if handler else [], kind=MessageKind.REFERRAL_UPDATED,
               context={"number": referral.number, "department": department.name,
                        "stage": STATE_LABELS[referral.status], "event_label": EVENT_LABELS[event]},
               key=f"referral:{referral.id}:v{referral.version}:{event}", subject_type=SUBJECT,
               subject_id=referral.id)


def describe_referral(session, subject_id: int) -> SubjectInfo | None:
    """For the sweep: 'handler' is the office's handler, 'liaison' the receiving department's."""
    referral = session.get(Referral, subject_id)
    if referral is None:
        return None
    tip = session.get(Tip, referral.tip_id)
    label = referral.number or f"{tip.number}-移{referral.id}"
    return SubjectInfo(label, STATE_LABELS[referral.status], referral.handler_id, referral.department_id,
                       closed=referral.status == "closed")
