"""What a person sees, in a real browser: Debian's Chromium on the real app (see conftest.py).

Each journey asserts the Chinese text and statuses on screen, saves screenshots under
test-artifacts/screenshots/, and checks that no page shows the reporter's identity to the police liaison.
"""
import re
from datetime import datetime
from urllib.parse import urlparse

from playwright.sync_api import Page, expect
from sqlmodel import func, select

from domain.calendar import SHANGHAI
from domain.enums import Channel
from domain.models import Deadline, Department, InboxMessage
from domain.referral_models import Referral
from domain.referral_schemas import ReferralCreate, ReferralTransitionIn
from domain.schemas import TipCreate
from services.escalation import sweep
from services.outbox import relay_once
from services.referrals import propose_referrals, transition_referral
from services.tips import register_tip
from tests.helpers import REPORTER, actor, register, send

FACTS = "住院病人挂床住院，实际未在院治疗，医院按住院结算医保基金。"
SUMMARY = "某医院虚构住院骗取医保基金12万元"
TIP_NUMBER = re.compile(r"JB2026-\d{5}")
LETTER_NUMBER = re.compile(r"界医保移〔2026〕\d+号")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI)


# --- state prepared through the services, on the server's database file -------------------------------

def dept(runtime, code: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(Department.id).where(Department.code == code)).one()


def referral(runtime, referral_id: int) -> Referral:
    with runtime.db.read() as session:
        return session.get(Referral, referral_id)


def move(runtime, user, referral_id: int, event: str) -> Referral:
    version = referral(runtime, referral_id).version
    with runtime.write(actor(user)) as ctx:
        return transition_referral(ctx, referral_id, ReferralTransitionIn(event=event, expected_version=version))


def sent_referrals(runtime, users, *codes: str) -> list[int]:
    """A real-name tip, accepted, referred to `codes`: approved by the head and sent (each has its number)."""
    tip = register(runtime, users["desk"])
    send(runtime, users["chief"], tip.id, "accept")
    data = ReferralCreate(department_ids=[dept(runtime, c) for c in codes], summary=SUMMARY, amount="120000")
    with runtime.write(actor(users["investigator"])) as ctx:
        ids = [r.id for r in propose_referrals(ctx, tip.id, data)]
    for referral_id in ids:
        move(runtime, users["head"], referral_id, "approve")
        move(runtime, users["investigator"], referral_id, "send_letter")
    return ids


# --- what the pages show ---------------------------------------------------------------------------------

def status_badge(page: Page):
    return page.locator("h1 .badge")


def police_sees_no_reporter(open_as, shot, *paths: str) -> None:
    """The police liaison opens their pages and `paths`: the reporter's identity is on none of them."""
    page = open_as("police")
    for path in ("/portal", "/inbox", "/referrals", "/tips", *paths):
        page.goto(path)
        html = page.content()
        for secret in (REPORTER.name, REPORTER.phone, REPORTER.id_number, REPORTER.address):
            assert secret not in html, (path, secret)
    shot(page, "police-last-page")


def test_desk_clerk_registers_a_real_name_tip(open_as, shot, submit):
    page = open_as("desk")
    expect(page).to_have_url(re.compile(r"/work$"))  # the clerk's home: 我的工作
    expect(page.locator("header .user")).to_have_text("王受理")
    page.locator("header nav").get_by_role("link", name="登记举报").click()
    expect(page.get_by_role("heading", name="登记举报")).to_be_visible()

    page.get_by_label("渠道").select_option(label="电话")
    page.get_by_label("被举报机构").select_option(label="界首市中医院（西城街道）")
    page.get_by_label("涉及金额（元，选填）").fill("12000")
    page.get_by_label("实名举报").check()
    page.get_by_label("举报人姓名").fill(REPORTER.name)
    page.get_by_label("电话", exact=True).fill(REPORTER.phone)
    submit(page.get_by_role("button", name="提交登记"), 422)  # the facts were left out

    expect(page.get_by_role("alert")).to_have_text("登记未完成：请更正下方标出的 1 处内容。")
    beside_facts = page.locator(".field", has=page.locator("#f-facts")).locator(".field-error")
    expect(beside_facts).to_have_text("此项必填")
    expect(page.locator("#f-facts + .field-error")).to_have_text("此项必填")  # right after the field
    expect(page.get_by_label("被举报机构").locator("option:checked")).to_have_text("界首市中医院（西城街道）")
    expect(page.get_by_label("渠道").locator("option:checked")).to_have_text("电话")
    expect(page.get_by_label("涉及金额（元，选填）")).to_have_value("12000")
    expect(page.get_by_label("实名举报")).to_be_checked()
    expect(page.get_by_label("举报人姓名")).to_have_value(REPORTER.name)
    expect(page.get_by_label("电话", exact=True)).to_have_value(REPORTER.phone)
    shot(page, "1-missing-facts")

    page.get_by_label("举报内容").fill(FACTS)
    submit(page.get_by_role("button", name="提交登记"), 201)
    expect(page.get_by_role("heading", name="登记成功")).to_be_visible()
    number = page.locator("strong.number")
    expect(number).to_have_text(TIP_NUMBER)
    expect(page.locator(".receipt")).to_have_count(0)  # a real-name tip gets no receipt code
    shot(page, "2-registered")
    tip_number = number.inner_text()

    page.get_by_role("link", name="查看举报详情").click()
    expect(page.get_by_role("heading", name=re.compile(tip_number))).to_contain_text("已登记")
    expect(page.locator("main")).not_to_contain_text(REPORTER.name)  # sealed, even from the clerk
    police_sees_no_reporter(open_as, shot, urlparse(page.url).path)


def test_chief_accepts_and_refers_to_the_police_head_approves_investigator_sends(open_as, shot, submit, runtime,
                                                                                 users):
    tip = register(runtime, users["desk"])  # a real-name tip, registered today

    chief = open_as("chief")
    chief.get_by_role("link", name=tip.number).click()
    expect(status_badge(chief)).to_have_text("已登记")
    accept = chief.locator("#form-accept")
    accept.get_by_label("理由（选填）").fill("线索具体，有明确的被举报机构和违法事实")
    submit(accept.get_by_role("button", name="立案"))
    expect(status_badge(chief)).to_have_text("已立案")
    expect(chief.locator("table.history")).to_contain_text("已登记 → 已立案")
    shot(chief, "1-accepted")

    propose = chief.locator("#form-propose")
    propose.get_by_label("市公安局").check()
    propose.get_by_label("案情摘要（必填，不得写入举报人身份信息）").fill(SUMMARY)
    propose.get_by_label("涉嫌罪名/违法事项（选填）").fill("诈骗罪")
    propose.get_by_label("涉案金额（元，选填）").fill("120000")
    submit(propose.get_by_role("button", name="提请移送"))
    row = chief.locator("#referrals tbody tr", has_text="市公安局")
    expect(row).to_contain_text("移送公安")
    expect(row).to_contain_text("待审批")
    shot(chief, "2-proposed")
    referral_path = row.get_by_role("link").get_attribute("href")

    head = open_as("head")
    head.goto("/work")
    head.locator(f'a[href="{referral_path}"]').first.click()
    expect(status_badge(head)).to_have_text("待审批")
    submit(head.locator("#form-approve").get_by_role("button", name="批准移送"))
    expect(status_badge(head)).to_have_text("已批准")
    shot(head, "3-approved")

    investigator = open_as("investigator")
    investigator.goto(referral_path)
    expect(investigator.locator("dl.facts")).to_contain_text("尚未发送移送函")
    submit(investigator.locator("#form-send_letter").get_by_role("button", name="发送移送函"))
    expect(status_badge(investigator)).to_have_text("已移送")
    number = investigator.locator("dt:text-is('移送文号') + dd")
    expect(number).to_have_text(LETTER_NUMBER)
    referral_id = int(referral_path.rsplit("/", 1)[1])
    assert number.inner_text() == referral(runtime, referral_id).number  # 界医保移〔2026〕1号 on fresh data
    shot(investigator, "4-sent")

    with investigator.context.expect_page() as opened:
        investigator.get_by_role("link", name="移送函（打印）").click()
    letter = opened.value
    letter.wait_for_load_state()
    expect(letter.locator("body")).to_contain_text(number.inner_text())
    expect(letter.locator("body")).to_contain_text("市公安局")
    assert REPORTER.name not in letter.content()
    shot(letter, "5-letter")
    police_sees_no_reporter(open_as, shot, referral_path, f"/tips/{tip.id}", f"/api/v1/referrals/{referral_id}/letter",
                            f"/api/v1/referrals/{referral_id}/receipt")


def test_police_liaison_sees_only_their_referral_on_the_portal_and_signs_it(open_as, shot, submit, runtime, users):
    police_id, health_id = sent_referrals(runtime, users, "gaj", "wjw")
    police_no, health_no = referral(runtime, police_id).number, referral(runtime, health_id).number

    page = open_as("police")
    expect(page).to_have_url(re.compile(r"/portal$"))  # a liaison lands on the department portal
    expect(page.get_by_role("heading", level=1)).to_have_text("部门门户 市公安局")
    expect(page.locator("header nav")).not_to_contain_text("举报线索")
    todo = page.locator("section.card", has=page.get_by_role("heading", name="本部门待办")).locator("tbody tr")
    expect(todo).to_have_count(1)
    expect(todo).to_contain_text(police_no)
    expect(todo).to_contain_text("已移送")
    expect(page.locator("main")).not_to_contain_text(health_no)
    shot(page, "1-portal")

    todo.get_by_role("link", name=police_no).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(police_no)
    expect(page.locator("#referral-status")).to_have_text("已移送")
    submit(page.locator("#form-sign").get_by_role("button", name="签收"))
    expect(page.locator("#referral-status")).to_have_text("已签收")
    expect(page.locator("#form-sign")).to_have_count(0)
    expect(page.locator("table.history")).to_contain_text("已移送 → 已签收")
    expect(page.locator("dl.facts")).to_contain_text("签收时间")
    shot(page, "2-signed")
    assert REPORTER.name not in page.content() and REPORTER.phone not in page.content()
    assert referral(runtime, police_id).status == "signed"
    police_sees_no_reporter(open_as, shot, f"/referrals/{police_id}", f"/api/v1/referrals/{police_id}/letter",
                            f"/api/v1/referrals/{police_id}/receipt")


def test_head_sees_an_escalated_tip_on_overdue_and_the_unread_badge(open_as, shot, submit, runtime, users, clock):
    clock.set(at("2026-09-21"))
    tip = register(runtime, users["desk"])  # filing decision due 2026-10-19 (National Day in between)
    clock.set(at("2026-10-23", 1))  # three working days past it: the ladder's level 2
    sweep(runtime)
    relay_once(runtime, {})
    with runtime.db.read() as session:
        due = session.exec(select(Deadline.due_at).where(Deadline.subject_id == tip.id,
                                                         Deadline.kind == "filing_decision")).one()
        unread = session.exec(select(func.count()).where(InboxMessage.user_id == users["head"].id,
                                                         InboxMessage.read_at.is_(None))).one()
    assert unread >= 2  # told at level 1 and again at level 2

    page = open_as("head")
    badge = page.locator("header #unread-count")
    expect(badge).to_have_text(str(unread))
    page.locator("header nav").get_by_role("link", name="超期督办").click()
    expect(page.get_by_role("heading", name="超期督办")).to_be_visible()
    row = page.locator("table.overdue-items tbody tr", has=page.get_by_role("link", name=tip.number))
    expect(row).to_contain_text("立案决定")
    expect(row.locator(".level")).to_have_text("第2级")
    expect(row.locator(".red-since")).to_have_text(due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))
    expect(page.locator(".overdue-group h2", has_text="市医疗保障局")).to_contain_text("1 项")
    shot(page, "1-overdue")

    page.locator("header nav").get_by_role("link", name=re.compile("站内消息")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{unread} 条未读")
    expect(page.locator("table.inbox tr.unread")).to_have_count(unread)
    expect(page.locator("table.inbox")).to_contain_text(tip.number)
    shot(page, "2-inbox")
    submit(page.get_by_role("button", name="全部标为已读"))
    expect(page.get_by_role("heading", level=1)).to_have_text("站内消息")
    expect(page.locator("table.inbox tr.read")).to_have_count(unread)
    expect(page.locator("header .inbox-link")).to_have_text("站内消息")  # the badge is gone
    police_sees_no_reporter(open_as, shot, "/overdue", f"/tips/{tip.id}")


def test_public_receipt_code_shows_the_stage(open_as, shot, submit, runtime, users):
    data = TipCreate(channel=Channel.WEB, institution_id=1, facts=FACTS, anonymous=True, reporter=None)
    with runtime.write(actor(users["desk"])) as ctx:
        registration = register_tip(ctx, data)
    tip, code = registration.tip, registration.receipt_code
    send(runtime, users["chief"], tip.id, "accept")
    sent_referrals(runtime, users, "gaj")  # a real-name tip beside it, for the police check

    page = open_as(None)
    page.goto("/")
    page.locator("header nav").get_by_role("link", name="举报进度查询").click()
    expect(page.get_by_role("heading", name="举报进度查询")).to_be_visible()
    page.get_by_label("查询码").fill("AAAA-BBBB-CCCC-DDDD-EEEE")
    submit(page.get_by_role("button", name="查询"), 404)
    expect(page.get_by_role("alert")).to_have_text("查询码无效")
    page.get_by_label("查询码").fill(code.lower())  # as a person might type it
    submit(page.get_by_role("button", name="查询"), 200)
    facts = page.locator("dl.facts")
    expect(facts.locator("dt:text-is('举报编号') + dd")).to_have_text(tip.number)
    expect(facts.locator("dd.status")).to_have_text("已立案")
    expect(facts.locator("dt:text-is('登记日期') + dd")).to_have_text("2026-11-23")
    expect(facts).to_contain_text("尚未办结")
    expect(page.locator("main")).not_to_contain_text(FACTS)  # the stage only, not the case
    shot(page, "1-status")
    police_sees_no_reporter(open_as, shot, "/status")
