"""The supervision pages (督导整改) through a browser-like client: plan, issue, the target unit's report,
verification, publication after assessment and approval, Chinese field errors, role gates, the report's 文号."""
import re
from datetime import datetime
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlmodel import func, select

from domain.calendar import SHANGHAI
from domain.coordination_models import Finding, SupervisionRound, SupervisionTarget
from domain.models import Department
from services.escalation import sweep
from tests.page_client import PageClient

REPORT_NUMBER = re.compile(r"医保督报〔2026〕(\d+)号")


def dept(runtime, code: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(Department.id).where(Department.code == code)).one()


def count(runtime, model) -> int:
    with runtime.db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def plan_form(runtime, **fields) -> dict:
    return {"year": "2026", "quarter": "3", "title": "定点医药机构监管履职督导", "planned_start": "2026-09-21",
            "targets": [f"dept:{dept(runtime, 'gwz')}", f"dept:{dept(runtime, 'wjw')}"], **fields}


def plan(client, runtime) -> int:
    response = client.post("/supervision/rounds", data=plan_form(runtime), follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def version(runtime, model, row_id: int) -> int:
    with runtime.db.read() as session:
        return session.get(model, row_id).version


def move_round(client, runtime, round_id: int, event: str, **extra):
    return client.post(f"/supervision/rounds/{round_id}/transition", follow_redirects=False,
                       data={"event": event, "expected_version": version(runtime, SupervisionRound, round_id),
                             **extra})


def target(runtime, round_id: int, code: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(SupervisionTarget.id).where(
            SupervisionTarget.round_id == round_id, SupervisionTarget.department_id == dept(runtime, code))).one()


def issue(client, runtime, round_id: int, code: str, description: str) -> int:
    response = client.post(f"/supervision/rounds/{round_id}/findings", follow_redirects=False, data={
        "target_id": target(runtime, round_id, code), "description": description,
        "requirement": "制定宣传方案并入户宣传", "deadline_option": "30d"})
    assert response.status_code == 303, response.text
    with runtime.db.read() as session:
        return session.exec(select(Finding.id).where(Finding.description == description)).one()


def move_finding(client, runtime, finding_id: int, event: str, text: str = "", back: str = "detail"):
    return client.post(f"/supervision/findings/{finding_id}/transition", follow_redirects=False, data={
        "event": event, "expected_version": version(runtime, Finding, finding_id), "text": text, "back": back})


def status_of(runtime, model, row_id: int) -> str:
    with runtime.db.read() as session:
        return session.get(model, row_id).status


def started_round(browser, runtime) -> tuple[PageClient, int]:
    supervisor = browser("supervisor")
    round_id = plan(supervisor, runtime)
    assert move_round(supervisor, runtime, round_id, "start").status_code == 303
    return supervisor, round_id


def test_the_full_journey_through_the_pages(browser, runtime):
    supervisor = browser("supervisor")
    home = supervisor.get("/supervision")
    assert home.status_code == 200 and "制定督导计划" in home.text and 'href="/supervision"' in home.text
    round_id = plan(supervisor, runtime)
    page = supervisor.get(f"/supervision/rounds/{round_id}").text
    assert "光武镇人民政府" in page and "市卫生健康委员会" in page and 'id="form-start"' in page
    assert 'id="form-issue"' not in page  # no findings before the round starts
    assert move_round(supervisor, runtime, round_id, "start").status_code == 303
    mine = issue(supervisor, runtime, round_id, "gwz", "未按要求开展医保政策宣传")
    other = issue(supervisor, runtime, round_id, "wjw", "定点机构检查覆盖率不足")
    page = supervisor.get(f"/supervision/rounds/{round_id}").text
    assert "2026-10-21" in page and "剩余" in page  # the 30-day rectification clock, its last day, days left
    listed = supervisor.get("/supervision").text
    assert re.search(r'class="open-count">2<', listed)

    township = browser("township")
    assert 'href="/supervision/findings"' in township.get("/portal").text
    own = township.get("/supervision/findings").text
    assert "未按要求开展医保政策宣传" in own and "定点机构检查覆盖率不足" not in own
    assert township.get(f"/supervision/findings/{other}").status_code == 404
    assert move_finding(township, runtime, other, "acknowledge").status_code == 404
    acknowledged = move_finding(township, runtime, mine, "acknowledge", back="list")
    assert acknowledged.status_code == 303 and acknowledged.headers["location"] == "/supervision/findings"
    refused = move_finding(township, runtime, mine, "report", back="list")
    assert refused.status_code == 422 and "请填写整改情况" in refused.text
    assert status_of(runtime, Finding, mine) == "rectifying"
    assert move_finding(township, runtime, mine, "report", "已入户宣传320户", back="list").status_code == 303

    detail = supervisor.get(f"/supervision/findings/{mine}").text
    assert "已入户宣传320户" in detail and f"/api/v1/documents/rectification-notice/{mine}.pdf" in detail
    assert 'id="form-' + f"{mine}-verify" in detail
    assert move_finding(supervisor, runtime, mine, "verify", "核查通过").status_code == 303
    assert status_of(runtime, Finding, mine) == "closed"


def test_publication_is_refused_until_assessed_and_approved(browser, runtime):
    supervisor, round_id = started_round(browser, runtime)
    issue(supervisor, runtime, round_id, "gwz", "未按要求开展医保政策宣传")
    assert move_round(supervisor, runtime, round_id, "issue_findings").status_code == 303
    url = f"/supervision/rounds/{round_id}"
    refused = supervisor.post(f"{url}/publish")
    assert refused.status_code == 409 and "未完成舆情评估，不得公开督导结果" in refused.text
    short = supervisor.post(f"{url}/assessment", data={"text": "无"})
    assert short.status_code == 422 and "至少填写 2 个字" in short.text
    assert supervisor.post(f"{url}/assessment", data={"text": "无重大舆情风险"},
                           follow_redirects=False).status_code == 303
    still = supervisor.post(f"{url}/publish")
    assert still.status_code == 409 and "未完成公开审批" in still.text
    head = browser("head")
    assert 'id="form-approve"' in head.get(url).text
    assert head.post(f"{url}/approval", follow_redirects=False).status_code == 303
    assert supervisor.post(f"{url}/publish", follow_redirects=False).status_code == 303
    page = supervisor.get(url).text
    assert "未公开" not in page and 'id="form-publish"' not in page
    with runtime.db.read() as session:
        assert session.get(SupervisionRound, round_id).published_at is not None


def test_a_refused_transition_names_what_is_allowed(browser, runtime):
    supervisor, round_id = started_round(browser, runtime)
    refused = move_round(supervisor, runtime, round_id, "close")
    assert refused.status_code == 409
    assert "当前状态“督导中”不能结束；可执行：反馈督导意见" in refused.text
    assert status_of(runtime, SupervisionRound, round_id) == "in_progress"


def test_bad_plan_input_shows_chinese_errors_beside_fields_and_writes_nothing(browser, runtime):
    supervisor = browser("supervisor")
    response = supervisor.post("/supervision/rounds", data=plan_form(
        runtime, title="督导计划甲", planned_start="2026-13-45", quarter="", targets=[]))
    assert response.status_code == 422
    assert 'id="err-planned_start">请输入日期，格式如 2026-09-21<' in response.text
    assert 'id="err-quarter">请选择季度<' in response.text
    assert 'id="err-targets">请至少选择一个督导对象<' in response.text
    assert 'value="督导计划甲"' in response.text  # what was typed stays
    outside = supervisor.post("/supervision/rounds", data=plan_form(runtime, planned_start="2026-12-01"))
    assert outside.status_code == 422 and 'id="err-planned_start">计划开始日期须在所选季度内<' in outside.text
    assert re.search(r'value="dept:\d+" checked', outside.text)  # the chosen targets stay chosen
    assert count(runtime, SupervisionRound) == 0


def test_bad_finding_input_shows_chinese_errors_and_writes_nothing(browser, runtime):
    supervisor, round_id = started_round(browser, runtime)
    response = supervisor.post(f"/supervision/rounds/{round_id}/findings", data={
        "target_id": "", "description": "问题", "requirement": "整改到位", "deadline_option": "date"})
    assert response.status_code == 422
    assert 'id="err-target_id">请选择督导对象<' in response.text
    assert 'id="err-description">至少填写 5 个字<' in response.text
    assert "整改到位" in response.text
    no_date = supervisor.post(f"/supervision/rounds/{round_id}/findings", data={
        "target_id": target(runtime, round_id, "gwz"), "description": "未按要求开展医保政策宣传",
        "requirement": "整改到位", "deadline_option": "date"})
    assert no_date.status_code == 422 and "选择“指定日期”时须填写整改期限日期" in no_date.text
    assert count(runtime, Finding) == 0


@pytest.mark.parametrize(("username", "url"), [
    ("desk", "/supervision"), ("township", "/supervision"), ("township", "/supervision/rounds/1"),
    ("investigator", "/supervision/findings"),
])
def test_role_gates_show_the_403_page(browser, runtime, username, url):
    response = browser(username).get(url)
    assert response.status_code == 403 and "当前角色无权访问此页面" in response.text


def test_read_only_staff_see_rounds_without_forms(browser, runtime):
    supervisor, round_id = started_round(browser, runtime)
    auditor = browser("auditor")
    listed = auditor.get("/supervision")
    assert listed.status_code == 200 and 'id="form-plan"' not in listed.text
    page = auditor.get(f"/supervision/rounds/{round_id}").text
    assert 'id="form-issue_findings"' not in page and 'id="form-issue"' not in page
    assert auditor.post("/supervision/rounds", data=plan_form(runtime)).status_code == 403
    assert count(runtime, SupervisionRound) == 1


def test_the_report_carries_a_stable_document_number(browser, login, client, runtime):
    supervisor = browser("supervisor")
    first = plan(supervisor, runtime)
    assert "督导开始后编号" in supervisor.get(f"/supervision/rounds/{first}").text
    assert move_round(supervisor, runtime, first, "start").status_code == 303
    report_url = f"/api/v1/supervision/rounds/{first}/report"
    numbers = REPORT_NUMBER.findall(client.get(report_url, headers=login("head")).text)
    assert numbers == ["1"]
    issue(supervisor, runtime, first, "gwz", "未按要求开展医保政策宣传")
    assert move_round(supervisor, runtime, first, "issue_findings").status_code == 303
    assert REPORT_NUMBER.findall(client.get(report_url, headers=login("head")).text) == ["1"]
    assert "医保督报〔2026〕1号" in supervisor.get(f"/supervision/rounds/{first}").text
    pdf = client.get(f"/api/v1/documents/supervision-report/{first}.pdf", headers=login("head"))
    assert pdf.status_code == 200
    pdf_text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert REPORT_NUMBER.findall(re.sub(r"\s+", "", pdf_text)) == ["1"]
    second = plan(supervisor, runtime)
    assert move_round(supervisor, runtime, second, "start").status_code == 303
    second_report = client.get(f"/api/v1/supervision/rounds/{second}/report", headers=login("head")).text
    assert REPORT_NUMBER.findall(second_report) == ["2"]


def test_an_overdue_rectification_is_counted_and_its_escalation_shown(browser, runtime, clock):
    supervisor, round_id = started_round(browser, runtime)
    finding_id = issue(supervisor, runtime, round_id, "gwz", "未按要求开展医保政策宣传")
    clock.set(datetime(2026, 10, 29, 9, 0, tzinfo=SHANGHAI))  # 5 working days past Oct 21: 约谈
    sweep(runtime)
    listed = supervisor.get("/supervision").text
    assert re.search(r'class="overdue-count"><span class="overdue">1<', listed)
    page = supervisor.get(f"/supervision/findings/{finding_id}").text
    assert "已超期 6 个工作日" in page and "超期督办" in page and "约谈" in page


def test_the_heads_work_page_counts_open_and_overdue_findings(browser, runtime, clock):
    supervisor, round_id = started_round(browser, runtime)
    issue(supervisor, runtime, round_id, "gwz", "未按要求开展医保政策宣传")
    before = browser("head").get("/work").text
    assert re.search(r'督导整改事项（未销号）</a></td><td>1</td>\s*<td>0</td>', before)
    clock.set(datetime(2026, 10, 29, 9, 0, tzinfo=SHANGHAI))  # past the rectification deadline
    after = browser("head").get("/work").text
    assert re.search(r'督导整改事项（未销号）</a></td><td>1</td>\s*<td><span class="overdue">1</span></td>', after)
    assert "督导整改事项" not in browser("desk").get("/work").text  # not the desk's work
