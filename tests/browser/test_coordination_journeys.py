"""The coordination pages in a real browser (see conftest.py): supervision and rectification, the joint meeting,
系统管理 and the information reports. Each person lands on their role's home after log-in, clicks through the
real forms and reads the Chinese on screen; screenshots go to test-artifacts/screenshots/."""
import re
from datetime import date, datetime

from playwright.sync_api import Page, expect
from sqlmodel import select

from domain.calendar import SHANGHAI
from domain.coordination_models import Finding, InfoReport, Meeting, MinutesReceipt
from domain.meeting_schemas import MeetingEventIn
from services import meetings, minutes
from tests.helpers import actor

ROUND_TITLE = "第四季度定点医药机构监管履职督导"
FINDING = "未按要求开展医保政策宣传，村卫生室公示栏信息过期"
REPORT = "已制定宣传方案，入户宣传320户，公示栏信息已全部更新。"
MEETING_TITLE = "医保基金监管专题联席会议"
TOPIC = "打击欺诈骗保专项行动线索移送衔接"
USERNAME = "用户名（字母、数字、_ . -）"
MAJOR = "网格巡查发现某村卫生室疑似虚构门诊记录，涉及参保群众20余人，已留存票据复印件。"


def at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI)


def home(page: Page, path: str) -> None:
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))


def nav(page: Page, name: str) -> None:
    page.locator("header nav").get_by_role("link", name=name, exact=True).click()


def one_line_each(links) -> bool:
    """Each link's text sits on one line (its box is less than two lines of its font high)."""
    ratios = links.evaluate_all(
        "links => links.map(a => a.getBoundingClientRect().height / parseFloat(getComputedStyle(a).fontSize))")
    return bool(ratios) and max(ratios) < 2


# --- 1. supervision ---------------------------------------------------------------------------------------

def test_supervisor_plans_a_round_and_the_township_reports_its_rectification(open_as, shot, submit, runtime):
    page = open_as("supervisor")
    home(page, "/supervision")
    expect(page.get_by_role("heading", level=1)).to_have_text("督导整改")
    expect(page.locator("table.rounds")).to_contain_text("尚无督导计划")

    plan = page.locator("#form-plan")
    plan.get_by_label("督导名称").fill(ROUND_TITLE)
    plan.get_by_label("计划开始日期（须在所选季度内）").fill("2026-11-30")
    plan.get_by_label("光武镇人民政府", exact=True).check()
    plan.get_by_label("市卫生健康委员会", exact=True).check()
    submit(plan.get_by_role("button", name="保存督导计划"), 422)  # the quarter was not chosen

    expect(page.get_by_role("alert")).to_have_text("督导计划未保存：请更正下方标出的 1 处内容。")
    expect(page.locator("#f-quarter + .field-error")).to_have_text("请选择季度")  # right beside the field
    plan = page.locator("#form-plan")
    expect(plan.get_by_label("督导名称")).to_have_value(ROUND_TITLE)
    expect(plan.get_by_label("计划开始日期（须在所选季度内）")).to_have_value("2026-11-30")
    expect(plan.get_by_label("光武镇人民政府", exact=True)).to_be_checked()
    expect(plan.get_by_label("市卫生健康委员会", exact=True)).to_be_checked()
    expect(plan.get_by_label("年度").locator("option:checked")).to_have_text("2026年")
    shot(page, "1-missing-quarter")

    plan.get_by_label("季度", exact=True).select_option(label="第四季度")
    submit(plan.get_by_role("button", name="保存督导计划"))
    status = page.locator("#round-status")
    expect(page.get_by_role("heading", level=1)).to_contain_text(ROUND_TITLE)
    expect(status).to_have_text("已计划")
    expect(page.locator("ul.targets")).to_contain_text("光武镇人民政府")

    submit(page.locator("#form-start").get_by_role("button", name="开始督导"))
    expect(status).to_have_text("督导中")
    expect(page.locator("#report-number")).to_have_text(re.compile(r"医保督报〔2026〕\d+号"))
    issue = page.locator("#form-issue")
    issue.get_by_label("督导对象").select_option(label="光武镇人民政府")
    issue.get_by_label("存在问题").fill(FINDING)
    issue.get_by_label("整改要求").fill("制定宣传方案并入户宣传，更新公示栏")
    issue.get_by_label("整改期限").select_option(label="30 日内")
    submit(issue.get_by_role("button", name="下达整改通知"))
    row = page.locator("table.findings tbody tr", has_text=FINDING)
    expect(row).to_contain_text("光武镇人民政府")
    expect(row).to_contain_text("待整改")
    expect(row).to_contain_text("2026-12-23")  # 30 days from Nov 23
    submit(page.locator("#form-issue_findings").get_by_role("button", name="反馈督导意见"))
    expect(status).to_have_text("已反馈督导意见")
    expect(page.locator("table.history")).to_contain_text("督导中 → 已反馈督导意见")
    shot(page, "2-round")

    liaison = open_as("township")
    home(liaison, "/portal")
    nav(liaison, "督导整改")
    expect(liaison.get_by_role("heading", level=1)).to_have_text("整改事项")
    card = liaison.locator("section.finding", has_text=FINDING)
    expect(card.locator(".badge")).to_have_text("待整改")
    submit(card.get_by_role("button", name="确认整改"))
    home(liaison, "/supervision/findings")
    card = liaison.locator("section.finding", has_text=FINDING)
    expect(card.locator(".badge")).to_have_text("整改中")
    submit(card.get_by_role("button", name="报送整改情况"), 422)  # nothing written yet
    expect(liaison.get_by_role("alert")).to_contain_text("请填写整改情况")
    card = liaison.locator("section.finding", has_text=FINDING)
    card.get_by_label("整改情况（必填）").fill(REPORT)
    submit(card.get_by_role("button", name="报送整改情况"))
    card = liaison.locator("section.finding", has_text=FINDING)
    expect(card.locator(".badge")).to_have_text("已报送整改情况")
    expect(card.locator("dl.facts")).to_contain_text(REPORT)
    shot(liaison, "3-liaison-findings")
    with runtime.db.read() as session:
        finding = session.exec(select(Finding)).one()
    assert finding.status == "rectification_reported" and finding.report == REPORT


# --- 2. joint meeting -------------------------------------------------------------------------------------

def meeting_step(runtime, user, meeting_id: int, event: str, **fields) -> Meeting:
    with runtime.write(actor(user)) as ctx:
        version = ctx.session.get(Meeting, meeting_id).version
        return meetings.transition_meeting(ctx, meeting_id, MeetingEventIn(
            event=event, expected_version=version, **fields))


def collecting_topics(runtime, users) -> int:
    """An ad hoc meeting, its call for topics open until Dec 10."""
    with runtime.write(actor(users["office"])) as ctx:
        meeting_id = meetings.open_ad_hoc(ctx, due_by=date(2026, 12, 30), title=MEETING_TITLE).id
    meeting_step(runtime, users["office"], meeting_id, "open_topics", topic_cutoff=date(2026, 12, 10))
    return meeting_id


def open_meeting(page: Page) -> None:
    """From the home page (or the nav) to the meeting's own page, as a person would."""
    if not page.url.endswith("/meetings"):
        nav(page, "联席会议")
    page.get_by_role("link", name=MEETING_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(MEETING_TITLE)


def test_a_member_submits_a_topic_and_the_convener_approves_the_agenda(open_as, shot, submit, runtime, users):
    meeting_id = collecting_topics(runtime, users)

    police = open_as("police")
    open_meeting(police)
    expect(police.locator("#meeting-status")).to_have_text("征集议题")
    topic = police.locator("#form-topic")
    topic.get_by_label("议题名称（必填，至少 4 个字）").fill(TOPIC)
    topic.get_by_label("议题说明（选填）").fill("明确移送标准、反馈时限和联络人")
    submit(topic.get_by_role("button", name="提交议题"))
    expect(police.locator("table.topics tbody tr", has_text=TOPIC)).to_contain_text("市公安局")

    office = open_as("office")
    home(office, "/meetings")
    open_meeting(office)
    propose = office.locator("#form-propose_agenda")
    propose.get_by_label("拟提请审定的会议议程（必填）").fill("一、通报基金监管形势；二、研究行刑衔接")
    propose.get_by_label(re.compile(TOPIC)).check()
    submit(propose.get_by_role("button", name="报请审定议题"))
    expect(office.locator("#meeting-status")).to_have_text("议题待审定")

    convener = open_as("convener")
    home(convener, "/meetings")
    open_meeting(convener)
    approve = convener.locator("#form-approve_agenda")
    approve.get_by_label("会议时间（北京时间，必填）").fill("2026-11-30T09:00")
    submit(approve.get_by_role("button", name="审定议题"), 422)  # no place yet
    expect(convener.locator("#form-approve_agenda #f-location + .field-error")).to_have_text("请确定会议地点")
    approve = convener.locator("#form-approve_agenda")
    expect(approve.get_by_label("会议时间（北京时间，必填）")).to_have_value("2026-11-30T09:00")
    approve.get_by_label("会议地点（必填）").fill("市政府三楼会议室")
    submit(approve.get_by_role("button", name="审定议题"))
    facts = convener.locator("dl.facts")
    expect(convener.locator("#meeting-status")).to_have_text("议题已审定")
    expect(facts.locator("dt:text-is('会议时间') + dd")).to_have_text("2026-11-30 09:00")
    expect(facts.locator("dt:text-is('会议地点') + dd")).to_have_text("市政府三楼会议室")
    expect(convener.locator("table.topics tbody tr", has_text=TOPIC).locator("td").last).to_have_text("是")
    shot(convener, "1-agenda-approved")

    with runtime.db.read() as session:
        assert session.get(Meeting, meeting_id).location == "市政府三楼会议室"


def held_last_week(runtime, users, clock) -> int:
    """A meeting of the week before, its minutes approved and sent to every member unit on Friday Nov 20."""
    office, convener = users["office"], users["convener"]
    clock.set(at("2026-11-16", 9))
    with runtime.write(actor(office)) as ctx:
        meeting_id = meetings.open_ad_hoc(ctx, due_by=date(2026, 11, 20), title=MEETING_TITLE).id
    meeting_step(runtime, office, meeting_id, "open_topics", topic_cutoff=date(2026, 11, 17))
    meeting_step(runtime, office, meeting_id, "propose_agenda", agenda="一、通报基金监管形势；二、研究行刑衔接")
    meeting_step(runtime, convener, meeting_id, "approve_agenda", scheduled_at=at("2026-11-18", 9),
                 location="市政府三楼会议室")
    meeting_step(runtime, office, meeting_id, "send_notice")
    clock.set(at("2026-11-18", 11))
    meeting_step(runtime, office, meeting_id, "hold")
    meeting_step(runtime, office, meeting_id, "draft_minutes",
                 minutes="会议听取了各成员单位工作汇报，研究了行刑衔接等问题。")
    meeting_step(runtime, convener, meeting_id, "approve_minutes")
    clock.set(at("2026-11-20", 9))
    with runtime.write(actor(office)) as ctx:
        minutes.request_distribution(ctx, meeting_id)
    assert minutes.distribute_now(runtime, meeting_id) > 0
    return meeting_id


def test_a_member_unit_confirms_it_read_the_distributed_minutes(open_as, shot, submit, runtime, users, clock):
    held_last_week(runtime, users, clock)
    police = open_as("police")
    open_meeting(police)
    expect(police.locator("#meeting-status")).to_have_text("纪要已印发")
    expect(police.locator("#minutes")).to_contain_text("会议听取了各成员单位工作汇报")
    receipt = police.locator("#receipts tbody tr")
    expect(receipt).to_have_count(1)  # its own unit's receipt only
    expect(receipt).to_contain_text("市公安局")
    expect(receipt).to_contain_text("2026-11-25")  # three working days from Friday's sending
    expect(receipt).to_contain_text("未确认")
    submit(police.get_by_role("button", name="本单位已阅知会议纪要，确认"))
    expect(police.locator("#receipts tbody tr")).to_contain_text("已确认（刘警官，2026-11-23")
    expect(police.locator("#form-receipt")).to_have_count(0)
    shot(police, "1-minutes-confirmed")

    office = open_as("office")
    open_meeting(office)
    expect(office.locator("#unconfirmed-count")).to_contain_text("已确认 1 个")
    expect(office.locator("#unconfirmed")).not_to_contain_text("市公安局")
    with runtime.db.read() as session:
        assert session.exec(select(MinutesReceipt).where(MinutesReceipt.read_at.is_not(None))).one().read_by == \
            users["police"].id


# --- 3. admin ---------------------------------------------------------------------------------------------

def test_admin_creates_a_user_after_a_weak_password_is_refused(open_as, shot, submit):
    page = open_as("admin")
    home(page, "/work")
    assert one_line_each(page.locator("header nav a"))  # the admin has the most links: none breaks mid-word
    nav(page, "系统管理")
    expect(page.get_by_role("heading", level=1)).to_have_text("系统管理")
    page.locator("main").get_by_role("link", name="用户账号").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("用户账号")
    expect(page.locator("#user-zhao3")).to_have_count(0)

    form = page.locator("#form-user")
    form.get_by_label(USERNAME).fill("zhao3")
    form.get_by_label("姓名").fill("赵三")
    form.get_by_label("角色").select_option(label="承办人")
    form.get_by_label("所属部门").select_option(label="市医疗保障局")
    form.get_by_label("初始密码").fill("zhao3abc")
    submit(form.get_by_role("button", name="新建账号"), 422)

    expect(page.get_by_role("alert")).to_have_text("账号未建立：请更正下方标出的 1 处内容。")
    expect(page.locator("#f-password + .field-error")).to_have_text("密码不符合要求：至少 10 位，不能包含用户名")
    form = page.locator("#form-user")
    expect(form.get_by_label(USERNAME)).to_have_value("zhao3")
    expect(form.get_by_label("姓名")).to_have_value("赵三")
    expect(form.get_by_label("角色").locator("option:checked")).to_have_text("承办人")
    expect(form.get_by_label("所属部门").locator("option:checked")).to_have_text("市医疗保障局")
    expect(form.get_by_label("初始密码")).to_have_value("")  # a password is never sent back
    expect(page.locator("#user-zhao3")).to_have_count(0)
    shot(page, "1-weak-password")

    form.get_by_label("初始密码").fill("Strong2026pass")
    submit(form.get_by_role("button", name="新建账号"))
    row = page.locator("#user-zhao3")
    for text in ("赵三", "承办人", "市医疗保障局", "启用", "未开启"):
        expect(row).to_contain_text(text)
    expect(page.get_by_role("alert")).to_have_count(0)
    shot(page, "2-created")


# --- 4. information report --------------------------------------------------------------------------------

def test_grid_inspector_files_a_major_report(open_as, shot, submit, runtime):
    page = open_as("grid")
    home(page, "/info-reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("信息报送")
    expect(page.locator("table.info-reports")).to_contain_text("暂无信息报告")

    form = page.locator("#form-major")
    form.get_by_label("发现时间（北京时间，必填）").fill("2026-11-23T08:30")
    form.get_by_label("信息类别").select_option(label="重大案情")
    form.get_by_label("报送方式").select_option(label="纸质")
    form.get_by_label("信息内容（必填，至少 5 个字）").fill(MAJOR)
    submit(form.get_by_role("button", name="报告", exact=True))

    expect(page.get_by_role("heading", level=1)).to_contain_text("重大信息快报")
    expect(page.locator("#report-status")).to_have_text("已报送")
    facts = page.locator("dl.facts")
    expect(facts.locator("dt:text-is('信息类别') + dd")).to_have_text("重大案情")
    expect(facts.locator("dt:text-is('发现时间') + dd")).to_have_text("2026-11-23 08:30")
    expect(facts.locator("dt:text-is('内容') + dd")).to_have_text(MAJOR)
    expect(facts.locator("dt:text-is('报送情况') + dd")).to_have_text("按时报送")
    shot(page, "1-major-report")

    page.get_by_role("link", name="返回列表").click()
    expect(page.locator("table.info-reports tbody tr", has_text="重大信息快报")).to_contain_text("已报送")
    with runtime.db.read() as session:
        report = session.exec(select(InfoReport)).one()
    assert report.kind == "major" and report.found_at.astimezone(SHANGHAI).hour == 8
