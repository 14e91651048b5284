"""The joint meeting pages (联席会议) through a browser-like client: plan, topics, agenda, notice with its
number, minutes drafted, approved and distributed, read receipts, decided matters; Chinese errors beside the
fields with nothing written, role gates."""
import re
from datetime import datetime

import pytest
from sqlmodel import select

from domain.calendar import SHANGHAI
from domain.coordination_models import DecidedMatter, Meeting, MeetingTopic, MinutesReceipt
from domain.models import Department
from tests.page_client import error_beside

MEMBER_UNITS = 15


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def dept(runtime, code: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(Department.id).where(Department.code == code)).one()


def meeting_row(runtime, meeting_id: int) -> Meeting:
    with runtime.db.read() as session:
        return session.get(Meeting, meeting_id)


def post(client, url: str, status: int = 303, **fields):
    response = client.post(url, data=fields, follow_redirects=False)
    assert response.status_code == status, response.text
    return response


def move(client, runtime, meeting_id: int, event: str, status: int = 303, **fields):
    version = str(meeting_row(runtime, meeting_id).version)
    return post(client, f"/meetings/{meeting_id}/transition", status, event=event, expected_version=version,
                **fields)


def planned(office) -> int:
    response = post(office, "/meetings", title="医保基金监管专题联席会议", due_by="2026-10-30")
    return int(re.fullmatch(r"/meetings/(\d+)", response.headers["location"]).group(1))


def unconfirmed(page: str) -> list[str]:
    block = re.search(r'<ul id="unconfirmed">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>([^<]+)</li>", block.group(1)) if block else []


def test_plan_refuses_bad_input_beside_the_fields_and_writes_nothing(browser, runtime):
    office = browser("office")
    page = office.get("/meetings")
    assert page.status_code == 200 and 'href="/meetings">联席会议</a>' in page.text and 'id="form-plan"' in page.text
    refused = post(office, "/meetings", 422, title="专题会", due_by="2026-09-01")
    assert error_beside(refused.text, "title", "plan") == "至少填写 4 个字"
    assert 'value="专题会"' in refused.text  # what was typed stays
    late = post(office, "/meetings", 422, title="医保基金监管专题会议", due_by="2026-09-01")
    assert error_beside(late.text, "due_by", "plan") == "会议召开期限不能早于今天"
    assert 'value="2026-09-01"' in late.text
    with runtime.db.read() as session:
        assert session.exec(select(Meeting)).all() == []
    meeting_id = planned(office)
    assert "临时会议" in office.get("/meetings").text
    again = post(office, "/meetings", 409, title="第二个专题会议", due_by="2026-11-30")
    assert "尚未结束，不能再发起会议" in again.text
    assert meeting_row(runtime, meeting_id).status == "due"


def test_full_journey_through_the_pages(browser, runtime, users, clock):
    office, convener, police, health = browser("office"), browser("convener"), browser("police"), browser("health")
    meeting_id = planned(office)
    url = f"/meetings/{meeting_id}"
    move(office, runtime, meeting_id, "open_topics", topic_cutoff="2026-09-30")

    # Member units submit topics on the meeting page; a bad title is refused beside the field.
    assert 'id="form-topic"' in police.get(url).text
    short = post(police, f"{url}/topics", 422, title="数据", detail="说明")
    assert error_beside(short.text, "title", "topic") == "至少填写 4 个字" and ">说明</textarea>" in short.text
    post(police, f"{url}/topics", title="打击欺诈骗保专项行动线索移送衔接")
    post(health, f"{url}/topics", title="定点医疗机构诊疗行为规范")
    with runtime.db.read() as session:
        topics = {t.title: t.id for t in session.exec(select(MeetingTopic))}
    assert len(topics) == 2 and "定点医疗机构诊疗行为规范" not in police.get(url).text  # its own unit's only

    # The office proposes the agenda; the convener approves it (time and place required).
    assert move(office, runtime, meeting_id, "hold", 409).text.count("可执行：报请审定议题") == 1
    move(office, runtime, meeting_id, "propose_agenda", agenda="一、通报基金监管形势；二、研究行刑衔接",
         topic_ids=str(topics["打击欺诈骗保专项行动线索移送衔接"]))
    assert "无权审定议题：需要角色 联席会议召集人" in move(office, runtime, meeting_id, "approve_agenda", 403).text
    missing = move(convener, runtime, meeting_id, "approve_agenda", 422, scheduled_at="2026-10-15T09:00")
    assert error_beside(missing.text, "location", "approve_agenda") == "请确定会议地点"
    assert 'value="2026-10-15T09:00"' in missing.text
    move(convener, runtime, meeting_id, "approve_agenda", scheduled_at="2026-10-15T09:00", location="市政府三楼会议室")
    assert meeting_row(runtime, meeting_id).scheduled_at == at("2026-10-15T09:00")
    move(office, runtime, meeting_id, "send_notice")
    detail = police.get(url).text
    assert f"/api/v1/documents/meeting-notice/{meeting_id}.pdf" in detail and "invite.ics" in detail

    # Held, minutes drafted (a bad matter row refused beside it), approved, distributed.
    clock.set(at("2026-10-15T11:30"))
    move(office, runtime, meeting_id, "hold")
    text = "会议听取了各成员单位工作汇报，研究了行刑衔接等问题，议定事项如下。"
    bad = move(office, runtime, meeting_id, "draft_minutes", 422, minutes=text,
               matters_0_title="建立欺诈骗保案件移送反馈台账", matters_0_due_date="2026-11-30")
    assert error_beside(bad.text, "matters_0_owner_department_id", "draft_minutes") == "请选择"
    assert "第 1 项议定事项：请选择" in bad.text
    assert 'value="建立欺诈骗保案件移送反馈台账"' in bad.text
    assert meeting_row(runtime, meeting_id).status == "held"
    move(office, runtime, meeting_id, "draft_minutes", minutes=text, matters_0_title="建立欺诈骗保案件移送反馈台账",
         matters_0_owner_department_id=str(dept(runtime, "gaj")), matters_0_due_date="2026-11-30")
    assert "纪要印发后可查阅" in police.get(url).text  # a member unit reads the minutes once issued
    redraft = office.get(url).text  # the office may redraft until approval: the form holds the draft
    assert 'id="form-draft_minutes"' in redraft and 'value="建立欺诈骗保案件移送反馈台账"' in redraft
    assert 'value="2026-11-30"' in redraft and f'value="{dept(runtime, "gaj")}" selected' in redraft
    move(convener, runtime, meeting_id, "approve_minutes")
    post(office, f"{url}/distribute")
    assert meeting_row(runtime, meeting_id).status == "minutes_issued"

    # Read receipts: the liaison confirms, the unconfirmed list shrinks.
    before = unconfirmed(office.get(url).text)
    assert len(before) == MEMBER_UNITS and "市公安局" in before
    assert 'id="form-receipt"' in police.get(url).text
    post(police, f"{url}/receipt")
    after = unconfirmed(office.get(url).text)
    assert len(after) == MEMBER_UNITS - 1 and "市公安局" not in after
    assert 'id="form-receipt"' not in police.get(url).text
    assert "已确认（刘警官" in office.get(url).text
    with runtime.db.read() as session:
        assert session.exec(select(MinutesReceipt).where(MinutesReceipt.read_at.is_not(None))).one().read_by == \
            users["police"].id
    matter_progress(browser, office, police, runtime)


def matter_progress(browser, office, police, runtime) -> None:
    with runtime.db.read() as session:
        matter = session.exec(select(DecidedMatter)).one()
    listing = police.get("/matters").text
    assert "建立欺诈骗保案件移送反馈台账" in listing and re.search(r"剩余 \d+ 个工作日", listing)
    assert "建立欺诈骗保案件移送反馈台账" not in browser("health").get("/matters").text
    url = f"/matters/{matter.id}"
    assert f"/api/v1/documents/matter-sheet/{matter.id}.pdf" in police.get(url).text
    empty = post(police, f"{url}/transition", 422, event="report_progress", expected_version=str(matter.version))
    assert error_beside(empty.text, "text", "report_progress") == "请填写办理进展"
    post(police, f"{url}/transition", event="report_progress", expected_version=str(matter.version),
         text="台账已建立并运行")
    assert 'id="form-verify"' not in police.get(url).text
    post(office, f"{url}/transition", event="verify", expected_version=str(matter.version + 1))
    done = police.get(url).text
    assert "已办结" in done and "台账已建立并运行" in done


def test_the_notice_carries_a_stable_document_number(browser, runtime, clock):
    office, convener = browser("office"), browser("convener")
    meeting_id = planned(office)
    move(office, runtime, meeting_id, "open_topics", topic_cutoff="2026-09-30")
    move(office, runtime, meeting_id, "propose_agenda", agenda="通报基金监管形势")
    move(convener, runtime, meeting_id, "approve_agenda", scheduled_at="2026-10-15T09:00", location="市医保局")
    draft = office.get(f"/api/v1/meetings/{meeting_id}/notice").text
    assert "未编号：会议通知尚未发出" in draft and meeting_row(runtime, meeting_id).notice_number is None
    move(office, runtime, meeting_id, "send_notice")
    number = meeting_row(runtime, meeting_id).notice_number
    assert re.fullmatch(r".+联〔2026〕1号", number)
    clock.advance(days=3)
    renders = [browser(who).get(f"/api/v1/meetings/{meeting_id}/notice").text for who in ("office", "police")]
    assert all(f'<p class="docno">{number}</p>' in page for page in renders)
    assert number in office.get(f"/meetings/{meeting_id}").text
    assert meeting_row(runtime, meeting_id).notice_number == number


@pytest.mark.parametrize("username", ["grid", "desk", "township_admin"])
def test_roles_outside_the_meeting_get_the_403_page(browser, runtime, username):
    client = browser(username)
    for url in ("/meetings", "/matters", "/meetings/1", "/matters/1"):
        response = client.get(url)
        assert response.status_code == 403 and "当前角色无权访问此页面" in response.text
    assert 'href="/meetings"' not in client.get("/howto").text


def test_only_the_office_plans_and_only_a_liaison_confirms(browser, runtime):
    convener = browser("convener")
    page = convener.get("/meetings")
    assert page.status_code == 200 and 'id="form-plan"' not in page.text
    assert post(convener, "/meetings", 403, title="召集人想开的会议", due_by="2026-10-30").status_code == 403
    meeting_id = planned(browser("office"))
    assert post(convener, f"/meetings/{meeting_id}/receipt", 403).status_code == 403
    early = post(browser("office"), f"/meetings/{meeting_id}/distribute", 409)
    assert "纪要须经召集人审定后才能分发" in early.text
    assert post(convener, f"/meetings/{meeting_id}/distribute", 403).status_code == 403
    refused = post(browser("police"), f"/meetings/{meeting_id}/receipt", 404)
    assert "本单位没有待确认的会议纪要" in refused.text
    with runtime.db.read() as session:
        assert session.exec(select(Meeting)).one().title == "医保基金监管专题联席会议"
    assert 'href="/meetings"' in browser("police").get("/portal").text


def test_leaders_see_the_meetings_history_and_liaisons_do_not(browser, runtime):
    office, police = browser("office"), browser("police")
    meeting_id = planned(office)
    move(office, runtime, meeting_id, "open_topics", topic_cutoff="2026-09-30")
    post(police, f"/meetings/{meeting_id}/topics", title="打击欺诈骗保专项行动线索移送衔接")
    history = office.get(f"/meetings/{meeting_id}").text
    trail = history[history.index("<h2>办理记录</h2>"):]
    assert trail.index("启动会议筹备") < trail.index("征集议题") < trail.index("提交议题")
    assert "<h2>办理记录</h2>" not in police.get(f"/meetings/{meeting_id}").text
