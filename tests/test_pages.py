"""The Chinese pages through a browser-like client: log-in cookie, forms, messages beside fields."""
import re
from datetime import date, datetime

from fastapi.testclient import TestClient

from api.auth import SESSION_COOKIE
from domain.calendar import SHANGHAI, WorkCalendar
from services.demo import DEMO_PASSWORD
from tests.page_client import error_beside

FACTS = "住院病人挂床住院，实际未在院治疗，医院按住院结算医保基金。"
REPORTER = {"reporter_name": "钱多多", "reporter_phone": "13912345678", "reporter_id_number": "11010519491231002X"}


def register(client: TestClient, **fields) -> tuple[int, str]:
    """Post the registration form; returns the new tip's id and the success page."""
    form = {"channel": "phone", "institution_id": "1", "facts": FACTS, "anonymity": "anonymous", **fields}
    response = client.post("/tips/new", data=form)
    assert response.status_code == 201, response.text
    return int(re.search(r'href="/tips/(\d+)"', response.text).group(1)), response.text


def transition(client: TestClient, tip_id: int, event: str, version: int, **fields):
    return client.post(f"/tips/{tip_id}/transition", data={"event": event, "expected_version": str(version), **fields},
                       follow_redirects=False)


def test_login_failure_is_chinese_and_keeps_the_username(browser):
    client = browser()
    response = client.post("/login", data={"username": "desk", "password": "wrong"}, follow_redirects=False)
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert 'value="desk"' in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert client.get("/tips", follow_redirects=False).headers["location"] == "/login?next=%2Ftips"


def test_login_sets_a_strict_cookie_and_logout_clears_it(browser):
    client = browser()
    response = client.post("/login", data={"username": "desk", "password": DEMO_PASSWORD, "next": "//evil.example"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/start"  # not the other host
    assert client.get("/start", follow_redirects=False).headers["location"] == "/work"  # the clerk's home: 我的工作
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(SESSION_COOKIE)
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert client.get("/", follow_redirects=False).headers["location"] == "/start"
    page = client.get("/tips")
    assert "医保基金监管协同工作流" in page.text and "王受理" in page.text and "举报受理员" in page.text
    assert client.post("/logout", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_registration_errors_are_shown_beside_the_fields_and_typed_values_kept(browser):
    desk = browser("desk")
    form = {"channel": "phone", "institution_id": "3", "facts": "", "anonymity": "real_name",
            "reporter_name": "钱多多", "reporter_phone": "abc"}
    response = desk.post("/tips/new", data={**form, "amount_involved": "12万"})
    assert response.status_code == 422
    assert error_beside(response.text, "facts") == "此项必填"
    assert error_beside(response.text, "amount_involved").startswith("请输入数字金额")
    assert error_beside(response.text, "reporter_phone").startswith("电话号码格式不正确")
    assert '<option value="3" selected>' in response.text and 'value="abc"' in response.text

    response = desk.post("/tips/new", data={**form, "facts": "挂床骗保", "reporter_phone": "139-0000"})
    assert response.status_code == 422
    assert error_beside(response.text, "facts") == "至少填写 5 个字"
    assert ">挂床骗保</textarea>" in response.text and '<option value="3" selected>' in response.text

    response = desk.post("/tips/new", data={**form, "facts": FACTS, "reporter_name": "", "reporter_phone": ""})
    assert response.status_code == 422
    assert error_beside(response.text, "reporter_name") == "实名举报须填写举报人姓名"
    assert "/tips/1" not in desk.get("/tips").text  # nothing was registered


def test_anonymous_receipt_code_is_shown_once_and_opens_the_status_page(browser):
    desk = browser("desk")
    tip_id, page = register(desk)
    code = re.search(r'<p class="code">([A-Z0-9-]+)</p>', page).group(1)
    assert "只显示这一次" in page
    number = re.search(r"JB2026-\d{5}", page).group(0)
    assert code not in desk.get(f"/tips/{tip_id}").text and code not in desk.get("/tips").text

    public = browser()
    assert public.post("/status", data={"code": "AAAA-BBBB-CCCC-DDDD-EEEE"}).text.count("查询码无效") == 1
    shown = public.post("/status", data={"code": code.lower().replace("-", " ")})
    assert shown.status_code == 200 and number in shown.text and "已登记" in shown.text
    assert "2026-09-21" in shown.text and "尚未办结" in shown.text

    assert transition(browser("chief"), tip_id, "accept", 1).status_code == 303
    assert "已立案" in public.post("/status", data={"code": code}).text


def test_reporter_identity_only_after_a_reasoned_read(browser):
    desk = browser("desk")
    tip_id, page = register(desk, anonymity="real_name", **REPORTER)
    assert "钱多多" not in page and '<p class="code">' not in page
    for username in ("investigator", "auditor", "chief", "desk"):
        viewer = browser(username)
        for url in ("/tips", f"/tips/{tip_id}"):
            text = viewer.get(url).text
            assert "钱多多" not in text and "13912345678" not in text, (username, url)
    assert 'id="form-reporter"' not in browser("auditor").get(f"/tips/{tip_id}").text
    refused = browser("investigator").post(f"/tips/{tip_id}/reporter", data={"reason": "想看看"})
    assert refused.status_code == 403 and "钱多多" not in refused.text

    chief = browser("chief")
    assert 'id="form-reporter"' in chief.get(f"/tips/{tip_id}").text
    no_reason = chief.post(f"/tips/{tip_id}/reporter", data={"reason": " "})
    assert no_reason.status_code == 422 and "钱多多" not in no_reason.text
    assert error_beside(no_reason.text, "reason", form="reporter") == "查看举报人身份须说明理由"
    assert error_beside(no_reason.text, "reason", form="accept") is None
    shown = chief.post(f"/tips/{tip_id}/reporter", data={"reason": "核实举报人联系方式"})
    assert shown.status_code == 200 and "钱多多" in shown.text and "13912345678" in shown.text
    assert "no-store" in shown.headers["cache-control"]
    history = browser("auditor").get(f"/tips/{tip_id}").text
    assert "查看举报人身份" in history and "核实举报人联系方式" in history and "张科长" in history
    assert "钱多多" not in history and "钱多多" not in chief.get(f"/tips/{tip_id}").text


def test_chief_accepts_from_the_detail_page(browser):
    tip_id, _ = register(browser("desk"), anonymity="real_name", **REPORTER)
    chief = browser("chief")
    before = chief.get(f"/tips/{tip_id}").text
    assert '<span class="badge">已登记</span>' in before and 'id="form-accept"' in before
    assert 'name="expected_version" value="1"' in before
    response = transition(chief, tip_id, "accept", 1, reason="线索具体")
    assert response.status_code == 303 and response.headers["location"] == f"/tips/{tip_id}"
    after = chief.get(f"/tips/{tip_id}").text
    assert '<span class="badge">已立案</span>' in after and "已登记 → 已立案" in after and "线索具体" in after
    assert "案件办理" in after and 'id="form-accept"' not in after and 'id="form-start_investigation"' in after
    assert "赵承办" in after  # the chief names the handler from the investigators


def test_chief_assigns_a_handler_and_the_investigator_concludes(browser, users):
    tip_id, _ = register(browser("desk"))
    chief = browser("chief")
    assert transition(chief, tip_id, "accept", 1).status_code == 303
    handler = str(users["investigator2"].id)
    assert transition(chief, tip_id, "start_investigation", 2, handler_id=handler).status_code == 303
    investigator = browser("investigator2")
    page = investigator.get(f"/tips/{tip_id}").text
    assert "<dt>承办人</dt><dd>赵承办</dd>" in page and 'id="form-conclude"' in page
    bad = transition(investigator, tip_id, "conclude", 3, finding="substantiated", amount_confirmed="一万")
    assert bad.status_code == 422 and error_beside(bad.text, "amount_confirmed").startswith("请输入数字金额")
    assert '<option value="substantiated" selected>' in bad.text and 'value="一万"' in bad.text
    done = transition(investigator, tip_id, "conclude", 3, finding="partly", amount_confirmed="1200.50",
                      amount_recovered="1000")
    assert done.status_code == 303
    page = investigator.get(f"/tips/{tip_id}").text
    assert "<dd>部分属实</dd>" in page and "1,200.50 元" in page and "已办结" in page


def test_refused_transitions_show_the_chinese_conflict(browser):
    tip_id, _ = register(browser("desk"), anonymity="real_name", **REPORTER)
    chief = browser("chief")
    assert transition(chief, tip_id, "accept", 1).status_code == 303
    assert transition(chief, tip_id, "notify_decision", 2).status_code == 303
    stale = transition(chief, tip_id, "start_investigation", 2, reason="安排调查")  # a form from version 2
    assert stale.status_code == 409 and "记录已被他人修改（当前版本 3）" in stale.text
    assert 'name="expected_version" value="3"' in stale.text and ">安排调查</textarea>" in stale.text
    refused = transition(chief, tip_id, "accept", 3)
    assert refused.status_code == 409
    assert "当前状态“已立案”不能立案；可执行：开始调查</p>" in refused.text
    assert transition(browser("investigator"), tip_id, "accept", 3).status_code == 403


def test_event_form_errors_are_beside_the_fields(browser):
    tip_id, _ = register(browser("desk"))
    chief = browser("chief")
    bad_ground = transition(chief, tip_id, "reject", 1, ground="bogus", reason="")
    assert bad_ground.status_code == 422
    assert error_beside(bad_ground.text, "ground") == "请从列表中选择"
    no_ground = transition(chief, tip_id, "reject", 1, reason="无具体线索")
    assert no_ground.status_code == 422
    assert error_beside(no_ground.text, "ground") == "请选择不予受理的依据"
    assert ">无具体线索</textarea>" in no_ground.text and '<span class="badge">已登记</span>' in no_ground.text


def test_duplicate_link_form(browser):
    desk = browser("desk")
    first, _ = register(desk)
    second, _ = register(desk)
    bad = desk.post(f"/tips/{second}/duplicate", data={"earlier_tip_id": "abc", "expected_version": "1"})
    assert bad.status_code == 422 and error_beside(bad.text, "earlier_tip_id") == "请输入整数"
    later = desk.post(f"/tips/{first}/duplicate", data={"earlier_tip_id": str(second), "expected_version": "1"})
    assert later.status_code == 422 and error_beside(later.text, "earlier_tip_id") == "被关联的举报必须早于本举报登记"
    linked = desk.post(f"/tips/{second}/duplicate", data={"earlier_tip_id": str(first), "expected_version": "1"},
                       follow_redirects=False)
    assert linked.status_code == 303
    assert f'<a href="/tips/{first}">在先举报' in desk.get(f"/tips/{second}").text


def test_list_counts_working_days_across_national_day(browser, clock, policy):
    desk = browser("desk")
    tip_id, _ = register(desk)
    rule, calendar = policy.rule("filing_decision"), WorkCalendar()
    due = calendar.due(clock(), rule.amount, rule.unit)
    assert due.last_day == date(2026, 10, 19)  # Mid-Autumn 9-25 and National Day 10-01..07 off, 10-10 worked
    left = calendar.working_days_between(clock().astimezone(SHANGHAI).date(), due.last_day)
    row = re.search(rf'<tr>\s*<td><a href="/tips/{tip_id}">.*?</tr>', desk.get("/tips").text, re.S).group(0)
    assert "2026-09-21 10:00" in row and "立案决定" in row and "2026-10-19" in row
    assert f"剩余 {left} 个工作日" in row and left == rule.amount

    clock.set(datetime(2026, 10, 22, 9, 0, tzinfo=SHANGHAI))
    late = calendar.working_days_between(due.last_day, date(2026, 10, 22))
    page = desk.get("/tips?overdue=yes").text
    assert f'<span class="overdue">已超期 {late} 个工作日</span>' in page and late == 3
    assert f'href="/tips/{tip_id}"' not in desk.get("/tips?overdue=no").text
    assert f'href="/tips/{tip_id}"' not in desk.get("/tips?status=accepted").text


def test_list_filters_and_pages(browser):
    desk = browser("desk")
    first, _ = register(desk)
    second, _ = register(desk, channel="letter")
    page = desk.get("/tips?limit=1").text
    assert f'href="/tips/{second}"' in page and f'href="/tips/{first}"' not in page
    assert 'href="/tips?offset=1&amp;limit=1">下一页' in page and "上一页" not in page
    assert f'href="/tips/{first}"' in desk.get("/tips?offset=1&limit=1").text
    by_channel = desk.get("/tips?channel=letter").text
    assert f'href="/tips/{second}"' in by_channel and f'href="/tips/{first}"' not in by_channel
    assert desk.get("/tips?channel=nonsense&limit=x").status_code == 200  # junk filters are ignored


def test_deadlines_in_an_unpublished_year_are_marked_provisional(browser, clock, policy):
    clock.set(datetime(2026, 12, 21, 10, 0, tzinfo=SHANGHAI))
    rule = policy.rule("filing_decision")
    due = WorkCalendar().due(clock(), rule.amount, rule.unit)
    assert due.provisional and due.last_day.year == 2027  # 2027's holiday schedule is not known yet
    desk = browser("desk")
    tip_id, _ = register(desk)
    row = re.search(rf'<tr>\s*<td><a href="/tips/{tip_id}">.*?</tr>', desk.get("/tips").text, re.S).group(0)
    assert f"{due.last_day}" in row and "（暂定）" in row
    assert "是（节假日安排未公布）" in desk.get(f"/tips/{tip_id}").text


def test_roles_gate_the_pages(browser):
    police = browser("police")
    assert police.get("/tips").status_code == 403
    assert "当前角色无权访问此页面" in police.get("/tips/new").text
    investigator = browser("investigator")
    assert investigator.get("/tips/new").status_code == 403
    assert 'href="/tips/new"' not in investigator.get("/tips").text
    assert 'href="/tips/new"' in browser("desk").get("/tips").text
    assert browser("desk").get("/tips/999").status_code == 404


def test_a_resubmitted_registration_form_registers_one_tip(browser, login, client):
    desk = browser("desk")
    form_page = desk.get("/tips/new").text
    key = re.search(r'name="intake_key" value="([^"]+)"', form_page).group(1)
    assert key != re.search(r'name="intake_key" value="([^"]+)"', desk.get("/tips/new").text).group(1)
    form = {"channel": "phone", "institution_id": "1", "facts": FACTS, "anonymity": "anonymous", "intake_key": key}
    first = desk.post("/tips/new", data=form)
    assert first.status_code == 201
    number = re.search(r"JB2026-\d{5}", first.text).group(0)
    total = client.get("/api/v1/tips", headers=login("chief")).json()["total"]
    again = desk.post("/tips/new", data=form)  # the browser's refresh of the success page
    assert again.status_code == 409 and "此表单已提交过" in again.text and number in again.text
    assert "查询码只在首次提交时显示" in again.text and 'class="code"' not in again.text
    assert client.get("/api/v1/tips", headers=login("chief")).json()["total"] == total


def test_a_refused_form_keeps_its_one_time_key(browser):
    desk = browser("desk")
    refused = desk.post("/tips/new", data={"channel": "phone", "facts": "太短", "intake_key": "k" * 24})
    assert refused.status_code == 422 and 'name="intake_key" value="' + "k" * 24 + '"' in refused.text


def test_a_reason_is_marked_required_exactly_where_the_service_refuses_without_one(browser):
    tip_id, _ = register(browser("desk"))
    chief = browser("chief")
    labels = dict(re.findall(r'<label for="f-reason-(\w+)">理由（(必填|选填)）</label>', chief.get(f"/tips/{tip_id}").text))
    assert labels == {"accept": "选填", "reject": "必填", "transfer": "必填", "duplicate": "选填"}
    unreasoned = transition(chief, tip_id, "transfer", 1, transferred_to="市卫生健康委员会", reason="")
    assert unreasoned.status_code == 422 and error_beside(unreasoned.text, "reason", "transfer") == "请填写理由"
    assert transition(chief, tip_id, "accept", 1, reason="").status_code == 303
