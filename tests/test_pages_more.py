"""The referral, portal, overdue and inbox pages through a browser-like client (cookie log-in, forms)."""
import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from tests.page_client import PageClient, error_beside
from sqlmodel import func, select

from domain.calendar import SHANGHAI
from domain.models import Deadline, Department, InboxMessage
from domain.referral_models import Referral
from domain.referral_schemas import ReferralCreate, ReferralTransitionIn
from services.demo import DEMO_PASSWORD
from services.errors import InvalidInput
from services.escalation import sweep
from services.outbox import relay_once
from services.referrals import propose_referrals, transition_referral
from tests.helpers import REPORTER, actor, register, send

SUMMARY = "某医院虚构住院骗取医保基金12万元"


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI)


@pytest.fixture
def browser(app):
    """browser('police') -> a client logged in through the log-in page's own form (its hidden `next`)."""
    opened: list[TestClient] = []

    def _open(username: str) -> TestClient:
        client = PageClient(app)
        opened.append(client)
        form = client.get("/login").text
        target = re.search(r'name="next" value="([^"]*)"', form).group(1)
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "next": target})
        assert response.status_code == 200, response.text
        client.landed = response.url.path
        return client

    yield _open
    for client in opened:
        client.close()


def dept(runtime, code: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(Department.id).where(Department.code == code)).one()


def referral(runtime, referral_id: int) -> Referral:
    with runtime.db.read() as session:
        return session.get(Referral, referral_id)


def accepted_tip(runtime, users):
    tip = register(runtime, users["desk"])
    send(runtime, users["chief"], tip.id, "accept")
    return tip


def propose(runtime, users, tip_id: int, *codes: str) -> list[int]:
    data = ReferralCreate(department_ids=[dept(runtime, c) for c in codes], summary=SUMMARY, amount="120000")
    with runtime.write(actor(users["investigator"])) as ctx:
        return [r.id for r in propose_referrals(ctx, tip_id, data)]


def move(runtime, user, referral_id: int, event: str, **extra) -> Referral:
    version = referral(runtime, referral_id).version
    with runtime.write(actor(user)) as ctx:
        return transition_referral(ctx, referral_id, ReferralTransitionIn(event=event, expected_version=version,
                                                                          **extra))


def sent(runtime, users, *codes: str, tip=None) -> list[int]:
    """Referrals of one tip to `codes`, approved by the head and sent (each now has its number)."""
    tip = tip or accepted_tip(runtime, users)
    ids = propose(runtime, users, tip.id, *codes)
    for referral_id in ids:
        move(runtime, users["head"], referral_id, "approve")
        move(runtime, users["investigator"], referral_id, "send_letter")
    return ids


def badge(page: str) -> int:
    """The unread count in the header (0 when the badge is absent)."""
    match = re.search(r'id="unread-count"[^>]*>(\d+)<', page)
    return int(match.group(1)) if match else 0


def version_on(page: str, form: str) -> str:
    section = page[page.index(f'id="form-{form}"'):]
    return re.search(r'name="expected_version" value="(\d+)"', section).group(1)


def test_a_liaison_lands_on_the_portal_which_lists_only_their_departments_referrals(browser, runtime, users):
    police_id, health_id = sent(runtime, users, "gaj", "wjw")
    police_no, health_no = referral(runtime, police_id).number, referral(runtime, health_id).number
    police = browser("police")
    assert police.landed == "/portal"
    page = police.get("/portal").text
    assert "本部门待办" in page and police_no in page and health_no not in page
    assert f'href="/referrals/{police_id}"' in page and "抄告（仅查阅）" not in page
    assert police.get(f"/referrals/{health_id}").status_code == 404
    assert police.get("/tips").status_code == 403
    copy = browser("procurator").get("/portal").text  # the procuratorate gets the police referral as a copy
    assert police_no in copy and "抄告（仅查阅）" in copy and health_no not in copy
    assert browser("chief").landed == "/work"
    assert browser("supervisor").landed == "/supervision" and browser("convener").landed == "/meetings"
    assert browser("grid").landed == "/info-reports"


def test_the_police_liaison_signs_from_the_referral_page(browser, runtime, users):
    (police_id,) = sent(runtime, users, "gaj")
    police = browser("police")
    page = police.get(f"/referrals/{police_id}").text
    assert re.search(r'id="referral-status">已移送<', page) and 'id="form-sign"' in page
    response = police.post(f"/referrals/{police_id}/transition",
                           data={"event": "sign", "expected_version": version_on(page, "sign")}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/referrals/{police_id}"
    page = police.get(f"/referrals/{police_id}").text
    assert re.search(r'id="referral-status">已签收<', page) and 'id="form-sign"' not in page
    assert "已移送 → 已签收" in page  # the history
    refused = police.post(f"/referrals/{police_id}/transition", data={
        "event": "decline", "expected_version": version_on(page, "decline"), "reason": "不构成犯罪"})
    assert refused.status_code == 422 and "请填写不予立案通知书文号" in refused.text
    assert "不构成犯罪</textarea>" in refused.text  # typed values kept
    assert referral(runtime, police_id).status == "signed"


def test_a_reply_without_text_is_refused_in_chinese_and_changes_nothing(browser, runtime, users):
    (health_id,) = sent(runtime, users, "wjw")
    move(runtime, users["health"], health_id, "acknowledge")
    before = referral(runtime, health_id)
    health = browser("health")
    page = health.get(f"/referrals/{health_id}").text
    response = health.post(f"/referrals/{health_id}/transition",
                           data={"event": "reply", "expected_version": version_on(page, "reply"), "reply": "  "})
    assert response.status_code == 422
    assert "“反馈处理结果”未能提交：请填写处理结果" in response.text
    assert re.search(r'id="referral-status">已签收<', response.text)
    after = referral(runtime, health_id)
    assert (after.status, after.version, after.reply) == (before.status, before.version, None)
    stale = health.post(f"/referrals/{health_id}/transition",
                        data={"event": "reply", "expected_version": "1", "reply": "已处理"})
    assert stale.status_code == 409 and "记录已被他人修改" in stale.text


def test_the_tip_detail_shows_every_referral_of_a_joint_referral(browser, runtime, users):
    tip = accepted_tip(runtime, users)
    police_id, discipline_id = propose(runtime, users, tip.id, "gaj", "jwjw")
    move(runtime, users["head"], police_id, "approve")
    page = browser("chief").get(f"/tips/{tip.id}").text
    section = page[page.index("移送情况"):page.index("</section>", page.index("移送情况"))]
    assert "市公安局" in section and "市纪委监委" in section and "抄告：市人民检察院" in section
    assert "移送公安" in section and "移送纪检监察" in section
    assert "已批准" in section and "待审批" in section
    assert "发送移送函：" in section and "移送审批：" in section  # each one's nearest open deadline
    assert f'href="/referrals/{police_id}"' in section and f'href="/referrals/{discipline_id}"' in section
    proposed = browser("investigator").get("/referrals?status=proposed").text
    assert f'href="/referrals/{discipline_id}"' in proposed and f'href="/referrals/{police_id}"' not in proposed
    work = browser("head").get("/work").text  # the head's work: approve the one still awaiting approval
    assert f'href="/referrals/{discipline_id}"' in work and "批准移送" in work
    assert f'href="/referrals/{police_id}"' not in work


def test_proposing_from_the_tip_page_creates_referrals(browser, runtime, users):
    tip = accepted_tip(runtime, users)
    investigator = browser("investigator")
    page = investigator.get(f"/tips/{tip.id}").text
    assert 'id="form-propose"' in page and "市人民检察院" not in page.split('id="form-propose"')[1]
    refused = investigator.post(f"/tips/{tip.id}/referrals", data={"summary": "虚构住院", "amount": "12万"})
    assert refused.status_code == 422
    assert "请至少选择一个移送部门" in refused.text and "请输入数字金额" in refused.text
    assert "虚构住院</textarea>" in refused.text
    form = {"department_ids": [str(dept(runtime, "gaj")), str(dept(runtime, "wjw"))], "summary": SUMMARY,
            "suspected_offence": "诈骗罪", "amount": "120000"}
    response = investigator.post(f"/tips/{tip.id}/referrals", data=form, follow_redirects=False)
    assert response.status_code == 303
    with runtime.db.read() as session:
        made = session.exec(select(Referral).where(Referral.tip_id == tip.id).order_by(Referral.id)).all()
    assert [(r.track, r.status, r.amount) for r in made] == [("police", "proposed", 120000),
                                                             ("department", "proposed", 120000)]
    page = investigator.get(f"/tips/{tip.id}").text
    assert "市卫生健康委员会" in page and "（已移送，尚未办结）" in page
    assert 'id="form-propose"' not in browser("desk").get(f"/tips/{tip.id}").text


def test_the_overdue_page_shows_an_escalated_tip_with_level_and_red_since(browser, runtime, users, clock):
    tip = register(runtime, users["desk"])
    clock.set(at("2026-10-23", 1))  # three working days past the filing deadline (Oct 19): level 2
    sweep(runtime)
    with runtime.db.read() as session:
        due = session.exec(select(Deadline.due_at).where(Deadline.subject_id == tip.id,
                                                         Deadline.kind == "filing_decision")).one()
    chief = browser("chief")
    page = chief.get("/overdue").text
    row = page[page.index(f'href="/tips/{tip.id}"'):]
    row = row[:row.index("</tr>")]
    assert tip.number in row and "立案决定" in row and "第2级" in row
    assert due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in row
    assert re.search(r"<h2>市医疗保障局 <span class=\"badge\">1 项</span></h2>", page)
    assert tip.number not in chief.get("/overdue?level=1").text
    assert tip.number in chief.get("/overdue?level=2").text
    assert browser("investigator").get("/overdue").status_code == 403
    assert 'href="/overdue"' not in browser("investigator").get("/tips").text


def test_the_unread_badge_counts_delivered_messages_and_reading_lowers_it(browser, runtime, users, clock):
    first, second = register(runtime, users["desk"]), register(runtime, users["desk"])
    clock.set(at("2026-10-20", 1))
    sweep(runtime)
    relay_once(runtime, {})
    with runtime.db.read() as session:
        mine = session.exec(select(InboxMessage).where(InboxMessage.user_id == users["chief"].id)
                            .order_by(InboxMessage.id)).all()
    assert len(mine) == 2
    chief = browser("chief")
    page = chief.get("/inbox").text
    assert badge(page) == 2 and f'href="/tips/{first.id}"' in page and f'href="/tips/{second.id}"' in page
    assert chief.post(f"/inbox/{mine[0].id}/read", follow_redirects=False).status_code == 303
    page = chief.get("/tips").text
    assert badge(page) == 1
    assert browser("head").post(f"/inbox/{mine[1].id}/read").status_code == 404  # not the head's message
    chief.post("/inbox/read-all")
    assert badge(chief.get("/inbox").text) == 0
    with runtime.db.read() as session:
        unread = session.exec(select(func.count()).where(InboxMessage.user_id == users["chief"].id,
                                                         InboxMessage.read_at.is_(None))).one()
    assert unread == 0


def test_pausing_a_deadline_from_the_tip_page_shows_it_paused(browser, runtime, users):
    tip = register(runtime, users["desk"])
    with runtime.db.read() as session:
        filing = session.exec(select(Deadline).where(Deadline.subject_id == tip.id,
                                                     Deadline.kind == "filing_decision")).one()
    chief = browser("chief")
    assert f'id="form-clock-{filing.id}"' in chief.get(f"/tips/{tip.id}").text
    url = f"/tips/{tip.id}/deadlines/{filing.id}"
    refused = chief.post(f"{url}/pause", data={"reason": " "})
    assert refused.status_code == 422 and "请填写中止或恢复的理由" in refused.text
    assert chief.post(f"{url}/pause", data={"reason": "等待司法鉴定"}, follow_redirects=False).status_code == 303
    page = chief.get(f"/tips/{tip.id}").text
    deadlines = page[page.index("办理期限"):page.index("</table>", page.index("办理期限"))]
    assert "已中止" in deadlines and f'action="{url}/resume"' in deadlines
    assert "中止期限" in page and "等待司法鉴定" in page  # the history
    assert chief.post(f"{url}/pause", data={"reason": "再次"}).status_code == 409
    investigator = browser("investigator")
    assert f'id="form-clock-{filing.id}"' not in investigator.get(f"/tips/{tip.id}").text
    assert investigator.post(f"{url}/resume", data={"reason": "恢复"}).status_code == 403
    assert chief.post(f"{url}/resume", data={"reason": "鉴定完成"}, follow_redirects=False).status_code == 303
    with runtime.db.read() as session:
        assert session.get(Deadline, filing.id).status == "open"


def test_attachments_upload_and_download_with_the_session_cookie(browser, runtime, users):
    (police_id,) = sent(runtime, users, "gaj")
    police = browser("police")
    refused = police.post(f"/referrals/{police_id}/attachments", files={"file": ("a.exe", b"MZ", "application/x")})
    assert refused.status_code == 422 and "不支持的文件类型" in refused.text
    response = police.post(f"/referrals/{police_id}/attachments",
                           files={"file": ("回执说明.txt", "已收到材料".encode(), "text/plain")}, follow_redirects=False)
    assert response.status_code == 303
    page = police.get(f"/referrals/{police_id}").text
    link = re.search(rf'href="(/api/v1/referrals/{police_id}/attachments/\d+)">回执说明.txt<', page).group(1)
    assert police.get(link).content == "已收到材料".encode()
    assert "上传附件" in page
    copy = browser("procurator").get(f"/referrals/{police_id}").text
    assert 'id="form-upload"' not in copy and 'id="form-sign"' not in copy and "抄告（仅查阅）" in copy


def test_no_page_shows_the_reporters_name_to_a_liaison(browser, runtime, users, clock):
    tip = accepted_tip(runtime, users)  # a real-name tip: REPORTER's identity is sealed with it
    (police_id,) = sent(runtime, users, "gaj", tip=tip)
    relay_once(runtime, {})
    police = browser("police")
    pages = ["/portal", f"/referrals/{police_id}", "/inbox", f"/api/v1/referrals/{police_id}/letter",
             f"/api/v1/referrals/{police_id}/receipt"]
    for path in pages:
        response = police.get(path)
        assert response.status_code == 200, path
        assert REPORTER.name not in response.text and REPORTER.phone not in response.text, path
    assert referral(runtime, police_id).number in police.get("/portal").text
    assert badge(police.get("/portal").text) == 1  # the referral notice reached the liaison's inbox


def test_rewards_page_shows_the_years_budget_and_is_closed_to_liaisons(client, login):
    client.put("/api/v1/rewards/budget/2026", json={"budgeted": "80000"}, headers=login("head"))
    client.post("/login", data={"username": "chief", "password": DEMO_PASSWORD})
    page = client.get("/rewards?year=2026")
    assert page.status_code == 200 and "2026 年度奖励预算" in page.text and "80,000.00" in page.text
    client.post("/logout")
    client.post("/login", data={"username": "police", "password": DEMO_PASSWORD})
    assert client.get("/rewards").status_code == 403


def test_the_head_sees_a_reason_required_to_refuse_a_referral_but_not_to_approve_it(browser, runtime, users):
    (referral_id,) = propose(runtime, users, accepted_tip(runtime, users).id, "gaj")
    page = browser("head").get(f"/referrals/{referral_id}").text
    assert dict(re.findall(r'<label for="f-reason-(\w+)">理由（(必填|选填)）</label>', page)) == \
        {"approve": "选填", "refuse": "必填"}
    with pytest.raises(InvalidInput) as refused:
        move(runtime, users["head"], referral_id, "refuse")
    assert refused.value.field == "reason"


def test_the_handler_records_the_polices_progress_from_the_referral_page(browser, runtime, users):
    (referral_id,) = sent(runtime, users, "gaj")
    for user, event in (("police", "sign"), ("police", "file"), ("investigator", "hand_over"), ("investigator", "track")):
        move(runtime, users[user], referral_id, event)
    handler = browser("investigator")
    page = handler.get(f"/referrals/{referral_id}").text
    assert '<label for="f-reply-check_progress">办理进展（必填）</label>' in page
    empty = handler.post(f"/referrals/{referral_id}/transition", follow_redirects=False, data={
        "event": "check_progress", "expected_version": version_on(page, "check_progress"), "reply": ""})
    assert empty.status_code == 422 and error_beside(empty.text, "reply", "check_progress") == "请填写了解到的办理进展"
    done = handler.post(f"/referrals/{referral_id}/transition", follow_redirects=False, data={
        "event": "check_progress", "expected_version": version_on(page, "check_progress"), "reply": "已移送审查起诉"})
    assert done.status_code == 303
    assert referral(runtime, referral_id).status == "outcome_tracking"
    assert "已移送审查起诉" in handler.get(f"/referrals/{referral_id}").text  # in the history
