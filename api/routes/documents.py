"""Official documents as PDF (GET /api/v1/documents/{kind}/{id}.pdf) and lists as Excel
(GET /api/v1/export/{list}.xlsx).

Each document kind reuses its HTML render function and the role gate of its HTML route; each list the role gate
of its list route; the services still narrow what a liaison may see. Only the documents addressed to the reporter
(the reward claim notice, 受理告知书 and 不予受理告知书) can carry a reporter's name.
The HTML view (GET /api/v1/documents/{kind}/{id}.html) has the same gate as the PDF.
"""
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import OFFICE_ROLES, actor_of, current_user, get_runtime
from api.routes.escalations import LEADERS as OVERDUE_READERS
from api.routes.meetings import LEADERS as MEETING_LEADERS
from api.routes.supervision import STAFF as SUPERVISION_STAFF
from documents.pdf import PDF_MEDIA_TYPE, html_to_pdf
from domain.calendar import SHANGHAI
from domain.enums import Role
from domain.models import User
from services import meeting_queries, supervision_reports, tip_notices
from services import reward_queries as rewards
from services.context import SYSTEM, Context
from services.export import XLSX_MEDIA_TYPE, export_sheet, workbook_bytes
from services.referral_queries import render_letter
from services.runtime import Runtime

router = APIRouter(tags=["documents"])
PDF_RESPONSE = {200: {"content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                      "description": "PDF"}}
XLSX_RESPONSE = {200: {"content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                       "description": "Excel workbook"}}


class Kind(StrEnum):
    REFERRAL_LETTER = "referral-letter"
    REFERRAL_RECEIPT = "referral-receipt"
    RECTIFICATION_NOTICE = "rectification-notice"
    SUPERVISION_REPORT = "supervision-report"
    MEETING_NOTICE = "meeting-notice"
    MEETING_MINUTES = "meeting-minutes"
    MATTER_SHEET = "matter-sheet"
    REWARD_APPROVAL_FORM = "reward-approval-form"
    REWARD_CLAIM_NOTICE = "reward-claim-notice"
    ACCEPTANCE_NOTICE = "acceptance-notice"
    REJECTION_NOTICE = "rejection-notice"


@dataclass(frozen=True)
class DocumentKind:
    title: str                              # used in the file name
    roles: frozenset[Role]                  # as the kind's HTML route admits
    render: Callable[[Context, int], str]   # (ctx, id) -> standalone HTML
    write: bool = False                     # an audited read (naming a real-name reporter) needs a write


def _reward(render: Callable) -> Callable[[Context, int], str]:
    return lambda ctx, reward_id: render(ctx, rewards.get_reward(ctx.session, reward_id))


REFERRAL_READERS = OFFICE_ROLES | {Role.LIAISON}
MEETING_MEMBERS = frozenset(MEETING_LEADERS) | {Role.LIAISON}
KINDS: dict[Kind, DocumentKind] = {
    Kind.REFERRAL_LETTER: DocumentKind("移送函", REFERRAL_READERS, render_letter),
    Kind.REFERRAL_RECEIPT: DocumentKind(
        "移送回执", REFERRAL_READERS, lambda ctx, referral_id: render_letter(ctx, referral_id, receipt=True)),
    Kind.RECTIFICATION_NOTICE: DocumentKind(
        "整改通知书", frozenset(SUPERVISION_STAFF) | {Role.LIAISON}, supervision_reports.render_notice),
    Kind.SUPERVISION_REPORT: DocumentKind(
        "督导情况报告", frozenset(SUPERVISION_STAFF), supervision_reports.render_government_report),
    Kind.MEETING_NOTICE: DocumentKind("会议通知", MEETING_MEMBERS, meeting_queries.render_notice),
    Kind.MEETING_MINUTES: DocumentKind("会议纪要", MEETING_MEMBERS, meeting_queries.render_minutes),
    Kind.MATTER_SHEET: DocumentKind("议定事项督办单", MEETING_MEMBERS, meeting_queries.render_matter_sheet),
    Kind.REWARD_APPROVAL_FORM: DocumentKind("举报奖励审批表", OFFICE_ROLES, _reward(rewards.approval_form_html)),
    Kind.REWARD_CLAIM_NOTICE: DocumentKind(
        "举报奖励领取通知书", OFFICE_ROLES, _reward(rewards.claim_notice_html), write=True),
    # write: an issuer's first render takes the document number; naming a real-name reporter is an audited read.
    Kind.ACCEPTANCE_NOTICE: DocumentKind(
        tip_notices.ACCEPTANCE.title, OFFICE_ROLES, tip_notices.render_acceptance, write=True),
    Kind.REJECTION_NOTICE: DocumentKind(
        tip_notices.REJECTION.title, OFFICE_ROLES, tip_notices.render_rejection, write=True),
}


def pdf_response(pdf: bytes, filename: str) -> Response:
    """The PDF, shown inline by browsers, never cached (a claim notice may name the reporter)."""
    disposition = f"inline; filename=\"document.pdf\"; filename*=UTF-8''{quote(filename)}"
    return Response(pdf, media_type=PDF_MEDIA_TYPE,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


def render_html(runtime: Runtime, user: User, kind: DocumentKind, doc_id: int) -> str:
    """The document's HTML, from its own render function, in a read (or, for an audited read, write) context."""
    if Role(user.role) not in kind.roles:
        raise HTTPException(status_code=403, detail="当前角色无权访问此功能")
    opener = runtime.write if kind.write else runtime.read
    with opener(actor_of(user)) as ctx:
        return kind.render(ctx, doc_id)


@router.get("/documents/{kind}/{doc_id}.pdf", response_class=Response, responses=PDF_RESPONSE)
def document_pdf(kind: Kind, doc_id: int = Path(gt=0, le=2**62), user: User = Depends(current_user),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    """移送函、回执、整改通知书、督导情况报告、会议通知、会议纪要、督办单、奖励审批表、领取通知书、受理与不予受理
    告知书 as PDF."""
    spec = KINDS[kind]
    html = render_html(runtime, user, spec, doc_id)
    return pdf_response(html_to_pdf(html), f"{spec.title}-{doc_id}.pdf")


@router.get("/documents/{kind}/{doc_id}.html", response_class=HTMLResponse)
def document_html(kind: Kind, doc_id: int = Path(gt=0, le=2**62), user: User = Depends(current_user),
                  runtime: Runtime = Depends(get_runtime)) -> HTMLResponse:
    """The same documents as printable HTML pages (never cached)."""
    html = render_html(runtime, user, KINDS[kind], doc_id)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/public/documents/reward-claim-notice.pdf", response_class=Response, responses=PDF_RESPONSE)
def public_claim_notice_pdf(x_receipt_code: str = Header(min_length=16, max_length=40),
                            runtime: Runtime = Depends(get_runtime)) -> Response:
    """The claim notice as PDF for the holder of the receipt code (anonymous reporter)."""
    with runtime.read(SYSTEM) as ctx:
        html = rewards.notice_by_receipt(ctx, x_receipt_code)
    return pdf_response(html_to_pdf(html), "举报奖励领取通知书.pdf")


def decision_notice_for_code(request: Request, runtime: Runtime, code: str) -> tuple[str, str]:
    """(title, HTML) of the filing-decision notice for the receipt code's holder; rate limited like look-ups.
    The slow code check runs in a read, so the write (which may take the number) stays short."""
    if not request.app.state.limits.allow_receipt_lookup(request):
        raise HTTPException(status_code=429, detail="查询过于频繁，请稍后再试")
    with runtime.read(SYSTEM) as ctx:
        tip_id = tip_notices.tip_id_by_receipt(ctx, code)
    with runtime.write(SYSTEM) as ctx:
        return tip_notices.notice_for_code_holder(ctx, tip_id)


@router.get("/public/documents/decision-notice.pdf", response_class=Response, responses=PDF_RESPONSE)
def public_decision_notice_pdf(request: Request, x_receipt_code: str = Header(min_length=16, max_length=40),
                               runtime: Runtime = Depends(get_runtime)) -> Response:
    """受理告知书 or 不予受理告知书 (whichever the decision calls for) as PDF for the receipt code's holder."""
    title, html = decision_notice_for_code(request, runtime, x_receipt_code)
    return pdf_response(html_to_pdf(html), f"{title}.pdf")


class ExportList(StrEnum):
    TIPS = "tips"
    REFERRALS = "referrals"
    OVERDUE = "overdue"
    REWARDS = "rewards"


EXPORT_ROLES: dict[ExportList, frozenset[Role]] = {
    ExportList.TIPS: OFFICE_ROLES, ExportList.REFERRALS: REFERRAL_READERS,
    ExportList.OVERDUE: frozenset(OVERDUE_READERS), ExportList.REWARDS: OFFICE_ROLES,
}


@router.get("/export/{name}.xlsx", response_class=Response, responses=XLSX_RESPONSE)
def export_list(name: ExportList, status: str | None = Query(default=None, max_length=30),
                user: User = Depends(current_user), runtime: Runtime = Depends(get_runtime)) -> Response:
    """举报线索、移送、超期事项、举报奖励 as .xlsx, for whoever may read the list (a liaison: its own referrals)."""
    if Role(user.role) not in EXPORT_ROLES[name]:
        raise HTTPException(status_code=403, detail="当前角色无权访问此功能")
    with runtime.read(actor_of(user)) as ctx:
        sheet = export_sheet(ctx, name.value, status=status)
        day = ctx.now.astimezone(SHANGHAI).date().isoformat()
    filename = f"{sheet.title}-{day}.xlsx"
    return Response(workbook_bytes(sheet), media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})
