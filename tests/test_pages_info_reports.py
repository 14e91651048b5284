"""The information report pages (信息报送): late and missing reports marked, a major report filed through the
form, submission and review; Chinese errors beside the fields with nothing written; role gates."""
import re
from datetime import datetime

import pytest
from sqlmodel import func, select

from domain.calendar import SHANGHAI
from domain.coordination_models import InfoReport
from services.info_reports import generate_due_reports
from tests.page_client import error_beside

CONTENT = "本周走访定点药店3家，发现一家药店存在串换药品嫌疑，已留存票据。"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def post(client, url: str, status: int = 303, **fields):
    response = client.post(url, data=fields, follow_redirects=False)
    assert response.status_code == status, response.text
    return response


def report(runtime, **where) -> InfoReport:
    with runtime.db.read() as session:
        query = select(InfoReport)
        for key, value in where.items():
            query = query.where(getattr(InfoReport, key) == value)
        return session.exec(query).one()


def count(runtime) -> int:
    with runtime.db.read() as session:
        return session.exec(select(func.count()).select_from(InfoReport)).one()


def test_a_major_report_through_the_form_and_bad_input_beside_the_fields(browser, runtime, users, clock):
    grid = browser("grid")
    page = grid.get("/info-reports")
    assert page.status_code == 200 and 'href="/info-reports">信息报送</a>' in page.text and 'id="form-major"' in page.text
    empty = post(grid, "/info-reports/major", 422, content="短")
    assert error_beside(empty.text, "found_at", "major") == "此项必填"
    assert error_beside(empty.text, "category", "major") == "请选择"
    assert error_beside(empty.text, "content", "major") == "至少填写 5 个字"
    secret = post(grid, "/info-reports/major", 422, found_at="2026-09-21T09:00", category="opinion",
                  channel="network", classified="yes", content=CONTENT)
    assert error_beside(secret.text, "channel", "major") == "涉密信息不得通过网络报送，请改用纸质或电话方式报送"
    assert CONTENT in secret.text and 'value="2026-09-21T09:00"' in secret.text  # what was typed stays
    assert count(runtime) == 0
    filed = post(grid, "/info-reports/major", found_at="2026-09-21T07:30", category="case", channel="paper",
                 content=CONTENT)
    row = report(runtime, kind="major")
    assert filed.headers["location"] == f"/info-reports/{row.id}"
    assert row.found_at == at("2026-09-21T07:30") and row.status == "submitted"
    detail = browser("office").get(f"/info-reports/{row.id}").text
    assert "重大案情" in detail and CONTENT in detail and 'id="form-accept"' in detail
    refused = post(browser("office"), f"/info-reports/{row.id}/transition", 422, event="return_report",
                   expected_version=str(row.version))
    assert error_beside(refused.text, "text", "return_report") == "请写明退回补正的原因"
    post(browser("office"), f"/info-reports/{row.id}/transition", event="accept", expected_version=str(row.version))
    assert report(runtime, kind="major").status == "accepted"


def test_due_reports_are_submitted_and_missing_ones_marked(browser, runtime, users, clock):
    clock.set(at("2026-11-02T09:00"))
    generate_due_reports(runtime)
    clock.set(at("2026-11-09T09:00"))  # the weekly report was due on Friday Nov 6
    township = browser("township_admin")
    listing = township.get("/info-reports").text
    weekly = report(runtime, kind="weekly")
    assert re.search(rf'/info-reports/{weekly.id}">村级监督信息周报</a>.*?超期未报', listing, re.S)
    grid = browser("grid")
    url = f"/info-reports/{weekly.id}"
    phoned = post(grid, f"{url}/submission", 422, expected_version="1", channel="phone", content=CONTENT)
    assert error_beside(phoned.text, "channel", "submit") == "该类信息须以书面形式（纸质或网络）报送，不能仅电话报告"
    assert report(runtime, kind="weekly").status == "due"
    post(grid, f"{url}/submission", expected_version="1", channel="network", content=CONTENT)
    assert "迟报" in township.get("/info-reports").text
    stale = post(grid, f"{url}/submission", 409, expected_version="1", channel="paper", content=CONTENT)
    assert "记录已被他人修改（当前版本 2）" in stale.text and report(runtime, kind="weekly").channel == "network"
    again = post(grid, f"{url}/submission", 409, expected_version="2", channel="paper", content=CONTENT)
    assert "当前状态“已报送”不能报送；可执行：" in again.text  # a refused transition names what is allowed
    post(township, f"{url}/transition", event="return_report", expected_version="2", text="请补充药店名称")
    back = grid.get(url).text
    assert "请补充药店名称" in back and 'id="form-submit"' in back


@pytest.mark.parametrize("username", ["police", "desk", "supervisor"])
def test_roles_outside_information_reporting_get_the_403_page(browser, runtime, username):
    client = browser(username)
    for url in ("/info-reports", "/info-reports/1"):
        response = client.get(url)
        assert response.status_code == 403 and "当前角色无权访问此页面" in response.text
    assert 'href="/info-reports"' not in client.get("/howto").text


def test_the_office_reads_but_does_not_file_major_reports(browser, runtime):
    office = browser("office")
    assert 'id="form-major"' not in office.get("/info-reports").text
    post(office, "/info-reports/major", 403, found_at="2026-09-21T07:30", category="case", channel="paper",
         content=CONTENT)
    assert count(runtime) == 0
