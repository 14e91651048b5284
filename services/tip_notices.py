"""受理告知书 / 不予受理告知书: the filing-decision notices to the reporter.

Which notice applies follows the tip's recorded decision (its accept/reject audit row, which also gives the
decision date and, for a rejection, the reasons). A notice gets its document number once, when first drawn up,
from the per-year sequence; number and issue time are kept in an audit row on the tip ("decision_notice_issued"),
so later renders repeat them and the issue itself is on the record, without a table of its own.
Only the roles that tell the reporter the decision (and the system, for a code holder's fetch) draw a notice up;
others see an unnumbered draft until then, so merely viewing never issues anything.

A real-name reporter's name is printed only because the notice is addressed to them: for an identity reader it
goes through services.identity.read_identity (audited); any other office role gets an archive copy without the
name. An anonymous reporter is addressed as the holder of the receipt code and no identity is ever loaded.
"""
from dataclasses import dataclass

from sqlmodel import select

from documents.render import document_number, render_document
from domain.calendar import SHANGHAI
from domain.enums import CHANNEL_LABELS, REJECTION_GROUND_LABELS, RejectionGround
from domain.models import AuditEntry, Department, Tip
from services import audit
from services.context import Context
from services.errors import Forbidden, InvalidInput, NotFound
from services.identity import read_identity
from services.numbers import next_number
from services.receipts import tip_by_receipt
from services.tips import load_tip_for_update
from states.tip import EVENT_ROLES

ISSUED = "decision_notice_issued"
ISSUERS = EVENT_ROLES["notify_decision"]   # who tells the reporter the decision also draws the notice up
ANONYMOUS_ADDRESSEE = "举报人（查询码持有人）"
WITHHELD_ADDRESSEE = "实名举报人（存档副本，姓名不予显示）"
UNIT_WORDS = {"working_days": "个工作日", "calendar_days": "日", "hours": "小时", "months": "个月"}
# What the reporter can do next, per ground of non-acceptance (domain-rules §2 and §12).
NEXT_STEPS = {
    RejectionGround.NO_SPECIFIC_CLUE: "您可以补充明确的被举报对象、具体违法违规线索及相关证据后，重新向本局举报。",
    RejectionGround.ALREADY_HANDLED: "该事项已依法处理。如有新的事实或证据，可以再次向本局举报。",
    RejectionGround.OTHER_PROCEDURE: "该事项属于诉讼、仲裁、行政复议等法定程序处理的事项，请依法通过相应途径解决。",
    RejectionGround.DUPLICATE_IN_PROGRESS: "该事项已在本局办理中，将在原举报中一并处理，不再另行受理；如有新的证据，可以补充提供。",
    RejectionGround.OUT_OF_SCOPE: "该事项不属于医疗保障基金监管范围，请向依法负有相应职责的主管部门反映。",
}


@dataclass(frozen=True)
class Notice:
    kind: str        # also the document kind in api/routes/documents.py, less "-notice"
    title: str
    decision: str    # the tip event that makes this notice the one that applies
    code: str        # in the document number: 界医保受告〔2026〕3号
    template: str


ACCEPTANCE = Notice("acceptance", "受理告知书", "accept", "受告", "acceptance_notice.html.j2")
REJECTION = Notice("rejection", "不予受理告知书", "reject", "不受告", "rejection_notice.html.j2")
BY_DECISION = {n.decision: n for n in (ACCEPTANCE, REJECTION)}


def _decision(ctx: Context, tip: Tip) -> AuditEntry:
    """The tip's filing decision (accept, reject or transfer), or a Chinese refusal if none was made yet."""
    query = select(AuditEntry).where(AuditEntry.subject_type == "tip", AuditEntry.subject_id == tip.id,
                                     AuditEntry.action.in_(("accept", "reject", "transfer")))
    entry = ctx.session.exec(query.order_by(AuditEntry.id.desc())).first()
    if entry is None:
        raise InvalidInput("tip_id", f"举报 {tip.number} 尚未作出是否受理的决定，暂不能出具告知书")
    if entry.action == "transfer":
        raise InvalidInput("tip_id", f"举报 {tip.number} 已移交{tip.transferred_to or '其他单位'}办理，不出具受理或不予受理告知书")
    return entry


def applicable_notice(ctx: Context, tip: Tip) -> tuple[Notice, AuditEntry]:
    """The notice the tip's decision calls for, with the decision row."""
    entry = _decision(ctx, tip)
    return BY_DECISION[entry.action], entry


def _issue_row(ctx: Context, tip: Tip, notice: Notice) -> AuditEntry | None:
    query = select(AuditEntry).where(AuditEntry.subject_type == "tip", AuditEntry.subject_id == tip.id,
                                     AuditEntry.action == ISSUED)
    return next((e for e in ctx.session.exec(query.order_by(AuditEntry.id)) if e.detail.get("kind") == notice.kind),
                None)


def _issued(ctx: Context, tip: Tip, notice: Notice) -> AuditEntry | None:
    """The notice's issue row: found, or made now with the next number by an issuer (the tip row is locked
    meanwhile, so two first renders cannot both take a number); None for anyone else before that."""
    found = _issue_row(ctx, tip, notice)
    if found is not None or not (ctx.actor.is_system or ctx.actor.role in ISSUERS):
        return found
    year = ctx.now.astimezone(SHANGHAI).year
    number = document_number(ctx.policy.document_prefix, notice.code, year,
                             next_number(ctx.session, key=f"{notice.kind}_notice", year=year))
    audit.record(ctx, subject_type="tip", subject_id=tip.id, action=ISSUED, reason=f"出具{notice.title}",
                 detail={"kind": notice.kind, "number": number})
    return _issue_row(ctx, tip, notice)


def _addressee(ctx: Context, tip: Tip, notice: Notice, number: str | None) -> tuple[str, bool]:
    """Whom the notice is addressed to, and whether this is an archive copy without the reporter's name."""
    if tip.anonymous:
        return ANONYMOUS_ADDRESSEE, False
    try:
        identity = read_identity(ctx, tip.id, reason=f"出具{notice.title} {number or '（未编号稿）'}")
    except Forbidden:
        return WITHHELD_ADDRESSEE, True
    return identity.name, False


def _office(ctx: Context) -> str:
    return ctx.session.exec(select(Department.name).where(Department.kind == "office")).first() or "医疗保障局"


def _day(moment) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日"


def _render(ctx: Context, tip: Tip, notice: Notice, decision: AuditEntry, *, public: bool) -> str:
    issued = _issued(ctx, tip, notice)
    number = issued.detail["number"] if issued is not None else None
    addressee, archive_copy = (ANONYMOUS_ADDRESSEE, False) if public else _addressee(ctx, tip, notice, number)
    handling = ctx.policy.rule("handling")
    ground = RejectionGround(tip.rejection_ground) if tip.rejection_ground else None
    return render_document(
        notice.template, title=notice.title, number=number, addressee=addressee, archive_copy=archive_copy,
        anonymous=tip.anonymous, tip=tip, channel=CHANNEL_LABELS.get(tip.channel, tip.channel),
        received_on=_day(tip.registered_at), decided_on=_day(decision.at),
        issued_on=_day(issued.at) if issued is not None else "　　年　月　日",
        office=_office(ctx), reason=decision.reason or "",
        handling_period=f"{handling.amount}{UNIT_WORDS.get(handling.unit, handling.unit)}",
        ground_label=REJECTION_GROUND_LABELS[ground] if ground else "", next_step=NEXT_STEPS[ground] if ground else "",
    )


def render_notice(ctx: Context, tip_id: int, notice: Notice) -> str:
    """The notice as standalone HTML, for office staff; refused when the tip's decision calls for the other one."""
    tip = load_tip_for_update(ctx, tip_id)
    applicable, decision = applicable_notice(ctx, tip)
    if applicable is not notice:
        raise InvalidInput("tip_id", f"举报 {tip.number} 的决定为“{'不予受理' if notice is ACCEPTANCE else '受理'}”，"
                                     f"应出具{applicable.title}")
    return _render(ctx, tip, notice, decision, public=False)


def render_acceptance(ctx: Context, tip_id: int) -> str:
    """受理告知书 (in a write context: the first render by an issuer takes the number)."""
    return render_notice(ctx, tip_id, ACCEPTANCE)


def render_rejection(ctx: Context, tip_id: int) -> str:
    """不予受理告知书 (in a write context: the first render by an issuer takes the number)."""
    return render_notice(ctx, tip_id, REJECTION)


def tip_id_by_receipt(ctx: Context, code: str) -> int:
    """The anonymous tip the receipt code belongs to (the slow hash check, best done outside a write)."""
    tip = tip_by_receipt(ctx.session, code)
    if tip is None or not tip.anonymous:
        raise NotFound("查询码无效")
    return tip.id


def notice_for_code_holder(ctx: Context, tip_id: int) -> tuple[str, str]:
    """(title, HTML) of whichever notice applies, addressed to the code holder; NotFound before a decision."""
    tip = load_tip_for_update(ctx, tip_id)
    try:
        notice, decision = applicable_notice(ctx, tip)
    except InvalidInput as refusal:
        raise NotFound(refusal.message) from None
    return notice.title, _render(ctx, tip, notice, decision, public=True)
