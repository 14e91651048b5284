"""Lists as Excel workbooks (.xlsx) for the monthly report to the superior office: Chinese headers, one sheet.

Never a reporter's identity: tips are exported by number, stage and institution only (not the facts text, which
a reporter may have written their name into).
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import select

from domain.calendar import SHANGHAI
from domain.enums import CHANNEL_LABELS, FINDING_LABELS, Channel, Finding
from domain.models import Institution, Tip
from domain.reward_models import Reward
from services.context import Context
from services.errors import InvalidInput
from services.overdue import overdue_items
from services.referral_queries import list_referrals, referral_public
from services.tip_queries import list_tips
from states.referral import STATE_LABELS as REFERRAL_LABELS
from states.reward import STATE_LABELS as REWARD_LABELS
from states.tip import STATE_LABELS as TIP_LABELS

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Sheet:
    title: str            # the sheet's (and the file's) Chinese name
    headers: list[str]
    rows: list[list]


def _cell(value):
    """A value Excel shows as people expect: Shanghai wall time, yuan as numbers, yes/no in Chinese."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def workbook_bytes(sheet: Sheet) -> bytes:
    """One-sheet workbook: bold frozen header row, widths fitted to the content."""
    book = Workbook()
    ws = book.active
    ws.title = sheet.title[:31]
    ws.append(sheet.headers)
    for row in sheet.rows:
        ws.append([_cell(v) for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for index, header in enumerate(sheet.headers, start=1):
        values = [header, *(row[index - 1] for row in sheet.rows)]
        width = max(len(str(_cell(v) if v is not None else "")) for v in values)
        ws.column_dimensions[get_column_letter(index)].width = min(max(width * 2 + 2, 10), 60)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def tips_sheet(ctx: Context, *, status: str | None = None) -> Sheet:
    """举报线索: number, stage, channel, institution, amounts, finding, whether a clock is overdue."""
    tips, _total = list_tips(ctx.session, now=ctx.now, status=status, limit=MAX_ROWS)
    overdue = {t.id for t in list_tips(ctx.session, now=ctx.now, status=status, overdue=True, limit=MAX_ROWS)[0]}
    names = dict(ctx.session.exec(select(Institution.id, Institution.name)).all())
    rows = [[t.number, TIP_LABELS[t.status], CHANNEL_LABELS[Channel(t.channel)], names.get(t.institution_id, ""),
             t.registered_at, t.amount_involved, t.anonymous, FINDING_LABELS[Finding(t.finding)] if t.finding else "",
             t.amount_confirmed, t.amount_recovered, t.id in overdue] for t in tips]
    headers = ["举报编号", "办理阶段", "举报渠道", "被举报机构", "登记时间", "涉及金额（元）", "匿名举报", "核查结论",
               "查实金额（元）", "追回金额（元）", "是否超期"]
    return Sheet("举报线索", headers, rows)


def referrals_sheet(ctx: Context, *, status: str | None = None) -> Sheet:
    """移送: the ones the actor may see (a liaison: their department's), with their clocks' state."""
    rows = []
    for referral in list_referrals(ctx, status=status):
        view = referral_public(ctx, referral)
        rows.append([view.number or "（未发送）", view.tip_number, view.track_label, view.department_name,
                     view.status_label, referral.proposed_at, referral.sent_at, referral.signed_at,
                     any(d.overdue for d in view.deadlines)])
    headers = ["移送文号", "举报编号", "移送类型", "接收单位", "办理状态", "提请时间", "发送时间", "签收时间", "是否超期"]
    return Sheet("移送", headers, rows)


def overdue_sheet(ctx: Context) -> Sheet:
    """超期事项: by department, oldest first, with the escalation level."""
    items = overdue_items(ctx.session, now=ctx.now, calendar=ctx.calendar, policy=ctx.policy, limit=MAX_ROWS)
    rows = [[i.department, i.number, i.deadline_label, i.stage, f"第{i.level}级" if i.level else "未升级",
             i.red_since, i.last_day, i.days_overdue] for i in items]
    headers = ["责任单位", "编号", "期限", "办理阶段", "督办级别", "亮红灯时间", "期限末日", "超期工作日"]
    return Sheet("超期事项", headers, rows)


def rewards_sheet(ctx: Context, *, status: str | None = None) -> Sheet:
    """举报奖励: number, tip, stage, amount, budget year, key dates (never the claimant)."""
    query = select(Reward, Tip.number).join(Tip, Tip.id == Reward.tip_id).order_by(Reward.id.desc()).limit(MAX_ROWS)
    if status is not None:
        query = query.where(Reward.status == status)
    rows = [[r.number, tip_number, REWARD_LABELS[r.status], r.amount, r.budget_year, r.proposed_at, r.approved_at,
             r.notice_number or "", r.claim_last_day, r.paid_at] for r, tip_number in ctx.session.exec(query)]
    headers = ["奖励编号", "举报编号", "办理状态", "奖励金额（元）", "预算年度", "拟定时间", "批准时间", "领取通知文号",
               "领取截止日", "发放时间"]
    return Sheet("举报奖励", headers, rows)


SHEETS = {"tips": tips_sheet, "referrals": referrals_sheet, "overdue": overdue_sheet, "rewards": rewards_sheet}
STATUSES = {"tips": TIP_LABELS, "referrals": REFERRAL_LABELS, "rewards": REWARD_LABELS}


def export_sheet(ctx: Context, name: str, *, status: str | None = None) -> Sheet:
    """The named list, optionally one status only (as the list's own filter)."""
    if status is None:
        return SHEETS[name](ctx)
    if status not in STATUSES.get(name, {}):
        raise InvalidInput("status", f"status must be one of {list(STATUSES.get(name, {}))}")
    return SHEETS[name](ctx, status=status)
