"""Tip use cases: register, move through the lifecycle, link duplicates. One transaction each."""
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import Row, bindparam
from sqlmodel import select

from db.prepared import Prepared, PreparedInsert
from domain.calendar import SHANGHAI
from domain.enums import Finding, Role
from domain.models import Institution, ReporterIdentity, Tip, User
from domain.schemas import DuplicateLinkIn, TipCreate, TransitionIn
from domain.sealing import seal
from services import audit
from services.authz import require_role
from services.context import Context, read_first
from services.deadlines import extend_deadline, open_deadlines, start_deadline
from services.errors import AlreadySubmitted, InvalidInput, NotFound
from services.lifecycle import apply_clocks, check_version, move
from services.numbers import next_number
from services.plain_rows import expire_held, flush_pending, new_row
from services.receipts import new_receipt_code, seal_receipt_code
from services.revisions import Remembered, standing
from states.tip import EVENT_LABELS, EVENT_ROLES, STATE_LABELS, TipMachine

SUBJECT = "tip"
REGISTER_ROLES = {Role.DESK_CLERK, Role.SECTION_CHIEF}
DUPLICATE_ROLES = {Role.DESK_CLERK, Role.INVESTIGATOR, Role.SECTION_CHIEF}
REASON_REQUIRED = {"reject", "transfer", "request_extension", "deny_extension"}  # events refused without a reason

# Which deadline kinds each event starts and stops (durations and units come from the policy).
STARTS: dict[str, tuple[str, ...]] = {
    "accept": ("handling", "decision_notice"),
    "reject": ("decision_notice",),
    "transfer": ("decision_notice",),
    "conclude": ("result_notice", "reward_decision"),
}
STOPS: dict[str, set[str]] = {
    "accept": {"filing_decision"},
    "reject": {"filing_decision"},
    "transfer": {"filing_decision"},
    "notify_decision": {"decision_notice"},
    "conclude": {"handling"},
    "notify_reporter": {"result_notice"},
}


@dataclass(frozen=True)
class Registration:
    """A registered tip with what its answer shows, so the answer needs no second read."""

    tip: SimpleNamespace  # the tip's columns as written (services.plain_rows.new_row), not attached to the session
    receipt_code: str | None  # an anonymous reporter's, shown once
    institution_name: str
    deadlines: list[Row]  # the clocks registration started


_INSERT_TIP = PreparedInsert(Tip.__table__)
_INSERT_IDENTITY = Prepared(ReporterIdentity.__table__.insert())
_INSTITUTION_NAME = Prepared(select(Institution.name).where(Institution.id == bindparam("institution_id")))
_INSTITUTION_NAMES = Remembered()


def _institution_name(ctx: Context, institution_id: int) -> str | None:
    """The institution's name, None if there is none; remembered while no institution changed."""
    def read() -> str | None:
        found = read_first(ctx.session, _INSTITUTION_NAME, {"institution_id": institution_id})
        return found[0].name if found else None

    return _INSTITUTION_NAMES.get(standing(ctx.session, "institutions"), institution_id, read)


_EARLIER_SUBMISSION = select(Tip.id, Tip.number).where(Tip.intake_key == bindparam("intake_key"))


def register_tip(ctx: Context, data: TipCreate) -> Registration:
    """登记举报线索."""
    require_role(ctx, REGISTER_ROLES, action="登记举报")
    # Everything but the writes comes before the first statement of the transaction (hashing, sealing, the
    # reference reads), so the SQLite writer lock, taken there, is not held meanwhile.
    code = new_receipt_code() if data.anonymous else None
    tip = _new_tip(ctx, data, *(seal_receipt_code(code) if code else (None, None)))
    sealed_reporter = seal(data.reporter.model_dump()) if data.reporter is not None else None
    institution = _institution_name(ctx, data.institution_id)
    if institution is None:
        raise InvalidInput("institution_id", "被举报机构不存在，请从机构名录中选择")
    ctx.calendar  # noqa: B018 - read first (services.context.read_first), for the clock started below
    _refuse_resubmission(ctx, data.intake_key)  # in the transaction: from here other registrations wait
    year = ctx.now.astimezone(SHANGHAI).year
    tip.number = f"JB{year}-{next_number(ctx.session, key='tip', year=year):05d}"
    # Written with plain statements (no unit of work to run); `tip` stays a copy outside the session.
    conn = ctx.session.connection()
    tip.id = _INSERT_TIP.run(conn, {name: value for name, value in vars(tip).items() if name != "id"})
    if sealed_reporter is not None:
        _INSERT_IDENTITY.run(conn, {"tip_id": tip.id, "sealed": sealed_reporter})
    audit.record(ctx, subject_type=SUBJECT, subject_id=tip.id, action="register", to_state=tip.status,
                 detail={"channel": tip.channel, "anonymous": tip.anonymous})
    filing = start_deadline(ctx, subject_type=SUBJECT, subject_id=tip.id, kind="filing_decision")
    return Registration(tip, code, institution, [filing])


def _new_tip(ctx: Context, data: TipCreate, locator: str | None, sealed_code: str | None) -> SimpleNamespace:
    """The tip to register, all but its number (taken inside the transaction)."""
    return new_row(Tip, number="", channel=data.channel, institution_id=data.institution_id, facts=data.facts,
                   amount_involved=data.amount_involved, evidence=list(data.evidence), anonymous=data.anonymous,
                   receipt_locator=locator, receipt_hash=sealed_code, registered_at=ctx.now,
                   registered_by=ctx.actor.id, intake_key=data.intake_key)


def _refuse_resubmission(ctx: Context, intake_key: str | None) -> None:
    """A form submitted twice (refresh, double click) registers one tip; the second learns which."""
    if intake_key is None:
        return
    earlier = ctx.session.connection().execute(_EARLIER_SUBMISSION, {"intake_key": intake_key}).first()
    if earlier is not None:
        raise AlreadySubmitted(earlier.id, f"此登记表已提交过，举报 {earlier.number} 已登记，未重复登记")


def transition_tip(ctx: Context, tip_id: int, data: TransitionIn) -> SimpleNamespace:
    """Send one lifecycle event: role, version and state checked; audit and deadlines in the same commit.
    Returns the tip's values after the move."""
    if data.event not in EVENT_ROLES:
        raise InvalidInput("event", f"未知的操作“{data.event}”，可用操作：{', '.join(EVENT_ROLES)}")
    require_role(ctx, EVENT_ROLES[data.event], action=EVENT_LABELS[data.event])
    before = _locked_row(ctx, tip_id)
    tip = SimpleNamespace(**before)  # a plain copy (a Tip costs ~30x more to build): written back by _write_changes
    check_version(tip, data.expected_version)
    from_state = tip.status
    move(tip, TipMachine, data.event, state_labels=STATE_LABELS, event_labels=EVENT_LABELS,
         max_extensions=ctx.policy.max_extensions)
    _apply_payload(ctx, tip, data)  # after send: guards see the row as it was; a refusal rolls back
    tip.version += 1
    audit.record(ctx, subject_type=SUBJECT, subject_id=tip.id, action=data.event, from_state=from_state,
                 to_state=tip.status, reason=data.reason, detail=_audit_detail(data))
    _apply_deadlines(ctx, tip, data.event)
    _write_changes(ctx, tip, before)
    return tip


# A transition reads and writes its tip with plain statements (services.plain_rows).
_TIP = Tip.__table__
_LOCK_TIP = Prepared(select(_TIP).where(_TIP.c.id == bindparam("tip_id")).with_for_update())
_UPDATE_TIP = Prepared(_TIP.update().where(_TIP.c.id == bindparam("tip_id")))  # SET: the columns passed


def _locked_row(ctx: Context, tip_id: int) -> dict:
    """The tip's stored values, the row locked until commit on PostgreSQL (SQLite serializes writers)."""
    flush_pending(ctx.session, Tip)
    found = _LOCK_TIP.run(ctx.session.connection(), {"tip_id": tip_id})
    if not found:
        raise NotFound(f"举报 {tip_id} 不存在")
    return found[0]._asdict()


def _write_changes(ctx: Context, tip: SimpleNamespace, before: dict) -> None:
    """Store the columns the transition changed; a copy the session holds is reloaded on next use."""
    changed = {name: getattr(tip, name) for name, value in before.items() if getattr(tip, name) != value}
    _UPDATE_TIP.run(ctx.session.connection(), {"tip_id": tip.id, **changed})
    expire_held(ctx.session, Tip, [tip.id])


def link_duplicate(ctx: Context, tip_id: int, data: DuplicateLinkIn) -> Tip:
    """重复举报: link a tip to an earlier one on the same institution, which keeps reward priority."""
    require_role(ctx, DUPLICATE_ROLES, action="关联重复举报")
    tip = load_tip_for_update(ctx, tip_id)
    check_version(tip, data.expected_version)
    earlier = ctx.session.get(Tip, data.earlier_tip_id)
    if earlier is None or earlier.id == tip.id:
        raise InvalidInput("earlier_tip_id", "被关联的在先举报不存在")
    if earlier.institution_id != tip.institution_id:
        raise InvalidInput("earlier_tip_id", "只能关联同一被举报机构的举报")
    if (earlier.registered_at, earlier.id) >= (tip.registered_at, tip.id):
        raise InvalidInput("earlier_tip_id", "被关联的举报必须早于本举报登记")
    tip.duplicate_of_id = earlier.duplicate_of_id or earlier.id  # always point at the first report
    tip.version += 1
    audit.record(ctx, subject_type=SUBJECT, subject_id=tip.id, action="link_duplicate",
                 reason=data.reason, detail={"duplicate_of": tip.duplicate_of_id})
    return tip


def load_tip_for_update(ctx: Context, tip_id: int) -> Tip:
    """The tip row, locked until commit on PostgreSQL (SQLite serializes writers instead)."""
    tip = ctx.session.exec(select(Tip).where(Tip.id == tip_id).with_for_update()).first()
    if tip is None:
        raise NotFound(f"举报 {tip_id} 不存在")
    return tip


def _require(value, field: str, message: str):
    if value in (None, ""):
        raise InvalidInput(field, message)
    return value


def _apply_payload(ctx: Context, tip: SimpleNamespace, data: TransitionIn) -> None:
    """Validate and store what the event carries (ground, addressee, finding, handler ...)."""
    event = data.event
    if event in REASON_REQUIRED:
        _require(data.reason, "reason", "请填写理由")
    if event == "reject":
        tip.rejection_ground = _require(data.ground, "ground", "请选择不予受理的依据").value
    elif event == "transfer":
        tip.transferred_to = _require(data.transferred_to, "transferred_to", "请填写移交单位")
    elif event == "start_investigation":
        tip.handler_id = _handler(ctx, data.handler_id)
    elif event == "approve_extension":
        tip.extension_count += 1
    elif event == "conclude":
        _apply_finding(tip, data)
    elif event == "notify_decision":
        tip.decision_notified_at = ctx.now
    elif event == "close":
        tip.closed_at = ctx.now


def _handler(ctx: Context, handler_id: int | None) -> int:
    """The investigator in charge: the one named, or the acting investigator."""
    if handler_id is None:
        if ctx.actor.role == Role.INVESTIGATOR:
            return ctx.actor.id
        raise InvalidInput("handler_id", "请指定承办人")
    user = ctx.session.get(User, handler_id)
    if user is None or user.role != Role.INVESTIGATOR or not user.active:
        raise InvalidInput("handler_id", "承办人必须是在职的承办人员")
    return user.id


def _apply_finding(tip: SimpleNamespace, data: TransitionIn) -> None:
    finding = _require(data.finding, "finding", "请选择核查结论（查实/部分属实/不实）")
    if finding != Finding.UNSUBSTANTIATED:
        _require(data.amount_confirmed, "amount_confirmed", "查实或部分属实时请填写查实金额")
    if data.amount_confirmed is not None and data.amount_recovered is not None \
            and data.amount_recovered > data.amount_confirmed:
        raise InvalidInput("amount_recovered", "追回金额不能大于查实金额")
    tip.finding = finding.value
    tip.amount_confirmed, tip.amount_recovered = data.amount_confirmed, data.amount_recovered


def _apply_deadlines(ctx: Context, tip: SimpleNamespace, event: str) -> None:
    """Stop and start the clocks the event governs; an extension replaces the handling clock."""
    if event == "approve_extension":
        for deadline in open_deadlines(ctx, subject_type=SUBJECT, subject_id=tip.id):
            if deadline.kind == "handling":
                extend_deadline(ctx, deadline, extension_kind="handling_extension")
    apply_clocks(ctx, subject_type=SUBJECT, subject_id=tip.id, event=event, starts=STARTS, stops=STOPS,
                 final=event == "close", skip=lambda kind: _not_due(ctx, tip, kind))


def _not_due(ctx: Context, tip: SimpleNamespace, kind: str) -> bool:
    """Notices only for real-name reporters; a reward decision only where something was substantiated."""
    if kind == "reward_decision":
        return tip.finding == Finding.UNSUBSTANTIATED
    return tip.anonymous and ctx.policy.rule(kind).real_name_only


def _audit_detail(data: TransitionIn) -> dict:
    fields = ("ground", "transferred_to", "handler_id", "finding", "amount_confirmed", "amount_recovered")
    return {k: str(v) for k in fields if (v := getattr(data, k)) is not None}
