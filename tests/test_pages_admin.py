"""系统管理 pages: accounts, departments, institutions, the policy in effect, the holiday calendar."""
from datetime import date

import pytest
from sqlmodel import func, select

from domain.models import AuditEntry, Department, HolidayYear, Institution, User
from services.calendar import get_calendar
from tests.page_client import error_beside

PAGES = ("/admin", "/admin/users", "/admin/departments", "/admin/institutions", "/admin/policy", "/admin/calendar")
NEW_USER = {"username": "wang2", "display_name": "王二", "role": "investigator", "department_id": "1",
            "email": "wang2@example.cn", "password": "Strong2026pass"}
NEW_DEPARTMENT = {"code": "ylbz", "name": "市医疗保险服务中心", "kind": "other", "member": "yes",
                  "leader_name": "林主任", "leader_email": "lin@example.cn"}
NEW_INSTITUTION = {"code": "H009", "name": "界首市第三人民医院", "kind": "hospital", "district": "东城街道"}


def count(runtime, model, *where) -> int:
    with runtime.db.read() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def audit_actions(runtime, subject_type: str) -> list[str]:
    with runtime.db.read() as session:
        query = select(AuditEntry.action).where(AuditEntry.subject_type == subject_type).order_by(AuditEntry.seq)
        return list(session.exec(query))


@pytest.mark.parametrize("url", PAGES)
def test_each_page_renders_for_the_admin_and_read_only_for_the_auditor(browser, url):
    admin = browser("admin").get(url)
    assert admin.status_code == 200 and '<a href="/admin">系统管理</a>' in admin.text
    auditor = browser("auditor").get(url)
    assert auditor.status_code == 200 and "审计员只读" in auditor.text
    assert 'method="post" action="/admin' not in auditor.text  # no form to change anything


@pytest.mark.parametrize("username", ["chief", "head", "desk", "police", "township_admin"])
def test_other_roles_get_the_403_page(browser, username):
    client = browser(username)
    assert "系统管理" not in client.get("/inbox").text  # no nav link
    for url in PAGES + ("/admin/departments/1", "/admin/institutions/1"):
        response = client.get(url)
        assert response.status_code == 403 and "当前角色无权访问此页面" in response.text, url


def test_the_auditor_cannot_change_anything(browser, runtime):
    auditor = browser("auditor")
    for url, form in (("/admin/users", NEW_USER), ("/admin/departments", NEW_DEPARTMENT),
                      ("/admin/institutions", NEW_INSTITUTION), ("/admin/users/1/active", {"active": "no"}),
                      ("/admin/calendar", {"year": "2027", "holidays": "2027-02-10", "workdays": ""})):
        assert auditor.post(url, data=form).status_code == 403, url
    assert auditor.get("/admin/departments/1").status_code == 403  # the edit form is the admin's
    assert count(runtime, AuditEntry) == 0 and count(runtime, HolidayYear) == 0


def test_creating_a_user_shows_it_in_the_list_and_audits_it(browser, runtime):
    admin = browser("admin")
    response = admin.post("/admin/users", data=NEW_USER, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"
    row = admin.get("/admin/users").text.split('id="user-wang2"')[1].split("</tr>")[0]
    assert "王二" in row and "承办人" in row and "市医疗保障局" in row and "启用" in row and "未开启" in row
    assert audit_actions(runtime, "user") == ["user_created"]
    assert browser().post("/login", data={"username": "wang2", "password": "Strong2026pass"},
                          follow_redirects=False).status_code == 303


def test_bad_user_input_is_refused_beside_the_field_and_nothing_is_written(browser, runtime):
    admin, users_before = browser("admin"), count(runtime, User)
    weak = admin.post("/admin/users", data={**NEW_USER, "password": "wang2abc"})
    assert weak.status_code == 422
    assert error_beside(weak.text, "password", "user") == "密码不符合要求：至少 10 位，不能包含用户名"
    assert 'value="wang2"' in weak.text and 'value="王二"' in weak.text  # typed values kept ...
    assert "wang2abc" not in weak.text                                    # ... but never the password
    assert '<option value="investigator" selected>' in weak.text

    bad = admin.post("/admin/users", data={**NEW_USER, "username": "王 二", "role": "", "email": "nope"})
    assert error_beside(bad.text, "username", "user") == "用户名只能包含字母、数字、下划线、点和连字符"
    assert error_beside(bad.text, "role", "user") == "此项必填"
    assert error_beside(bad.text, "email", "user") == "电子邮箱格式不正确"
    taken = admin.post("/admin/users", data={**NEW_USER, "username": "desk"})
    assert error_beside(taken.text, "username", "user") == "用户名已存在"
    liaison = admin.post("/admin/users", data={**NEW_USER, "role": "liaison", "department_id": ""})
    assert error_beside(liaison.text, "department_id", "user") == "部门联络员须选择所属部门"
    assert count(runtime, User) == users_before and audit_actions(runtime, "user") == []


def user_id(runtime, username: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(User.id).where(User.username == username)).one()


def test_deactivating_ends_the_sessions_and_reactivating_needs_a_new_log_in(browser, runtime):
    admin, investigator = browser("admin"), browser("investigator")
    assert investigator.get("/tips").status_code == 200
    target = user_id(runtime, "investigator")
    assert admin.post(f"/admin/users/{target}/active", data={"active": "no"}, follow_redirects=False).status_code == 303
    assert "已停用" in admin.get("/admin/users").text.split('id="user-investigator"')[1].split("</tr>")[0]
    assert investigator.get("/tips", follow_redirects=False).status_code == 303  # sent to the log-in form
    admin.post(f"/admin/users/{target}/active", data={"active": "yes"})
    assert investigator.get("/tips", follow_redirects=False).status_code == 303  # the old session stays ended
    assert browser("investigator").get("/tips").status_code == 200
    assert audit_actions(runtime, "user") == ["user_disabled", "user_enabled"]

    own = admin.post(f"/admin/users/{user_id(runtime, 'admin')}/active", data={"active": "no"})
    assert own.status_code == 422 and "不能停用自己的账号" in own.text
    assert admin.get("/admin/users").status_code == 200


def test_departments_are_created_edited_and_duplicates_refused(browser, runtime):
    admin, before = browser("admin"), count(runtime, Department)
    assert admin.post("/admin/departments", data=NEW_DEPARTMENT, follow_redirects=False).status_code == 303
    row = admin.get("/admin/departments").text.split('id="department-ylbz"')[1].split("</tr>")[0]
    assert "市医疗保险服务中心" in row and "其他部门" in row and "是" in row and "林主任" in row

    for changed, field, message in (
        ({"code": "gaj"}, "code", "部门代码“gaj”已被使用"),
        ({"code": "new1", "name": "市公安局"}, "name", "部门“市公安局”已登记"),
        ({"code": "new2", "name": "第二医保局", "kind": "office"}, "kind", "本局（医疗保障局）已登记，只能有一个"),
        ({"code": "a b"}, "code", "代码只能包含字母、数字、下划线和连字符"),
        ({"code": "new3", "name": "某部门", "kind": "spaceship"}, "kind", "请从列表中选择"),
    ):
        response = admin.post("/admin/departments", data={**NEW_DEPARTMENT, **changed})
        assert response.status_code == 422 and error_beside(response.text, field, "department") == message, changed
    assert count(runtime, Department) == before + 1

    with runtime.db.read() as session:
        created = session.exec(select(Department).where(Department.code == "ylbz")).one()
    edit = admin.get(f"/admin/departments/{created.id}")
    assert 'value="市医疗保险服务中心"' in edit.text and 'name="member" value="yes" checked' in edit.text
    clash = admin.post(f"/admin/departments/{created.id}", data={**NEW_DEPARTMENT, "code": "jcy"})
    assert error_beside(clash.text, "code", "department") == "部门代码“jcy”已被使用" and 'value="jcy"' in clash.text
    renamed = {**NEW_DEPARTMENT, "name": "市医保服务中心", "member": ""}
    assert admin.post(f"/admin/departments/{created.id}", data=renamed, follow_redirects=False).status_code == 303
    with runtime.db.read() as session:
        updated = session.get(Department, created.id)
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "department_updated")).one()
    assert (updated.name, updated.member) == ("市医保服务中心", False)
    assert entry.detail == {"name": ["市医疗保险服务中心", "市医保服务中心"], "member": [True, False]}
    assert audit_actions(runtime, "department") == ["department_created", "department_updated"]


def test_institutions_are_searched_created_edited_and_duplicates_refused(browser, runtime):
    admin = browser("admin")
    assert admin.post("/admin/institutions", data=NEW_INSTITUTION, follow_redirects=False).status_code == 303
    found = admin.get("/admin/institutions", params={"q": "第三人民"}).text
    assert 'id="institution-H009"' in found and 'id="institution-H001"' not in found
    assert 'id="institution-H001"' in admin.get("/admin/institutions", params={"q": "东城"}).text
    assert "没有符合“不存在”的机构" in admin.get("/admin/institutions", params={"q": "不存在"}).text
    assert "界首市第三人民医院" in browser("desk").get("/tips/new").text  # offered when registering a tip

    duplicate = admin.post("/admin/institutions", data={**NEW_INSTITUTION, "name": "另一家"})
    assert duplicate.status_code == 422
    assert error_beside(duplicate.text, "code", "institution") == "机构编码“H009”已被使用"
    assert 'value="另一家"' in duplicate.text
    bad = admin.post("/admin/institutions", data={**NEW_INSTITUTION, "code": "H010", "kind": "spa", "district": ""})
    assert error_beside(bad.text, "kind", "institution") == "请从列表中选择"
    assert error_beside(bad.text, "district", "institution") == "此项必填"
    assert count(runtime, Institution, Institution.code.in_(["H010"])) == 0

    with runtime.db.read() as session:
        created = session.exec(select(Institution).where(Institution.code == "H009")).one()
    moved = {**NEW_INSTITUTION, "district": "西城街道", "kind": "clinic"}
    assert admin.post(f"/admin/institutions/{created.id}", data=moved, follow_redirects=False).status_code == 303
    row = admin.get("/admin/institutions").text.split('id="institution-H009"')[1].split("</tr>")[0]
    assert "西城街道" in row and "诊所" in row
    assert audit_actions(runtime, "institution") == ["institution_created", "institution_updated"]
    assert admin.get("/admin/institutions/9999").status_code == 404


def test_the_policy_page_shows_the_limits_ladder_rewards_and_the_file(browser):
    page = browser("admin").get("/admin/policy").text
    row = page.split('id="rule-filing_decision"')[1].split("</tr>")[0]
    assert "立案决定" in row and "15" in row and "工作日" in row
    assert "policy/default.toml" in page and "policy/rewards/national.toml" in page
    assert "须修改政策文件（TOML）并重启系统后生效" in page
    ladder = page.split('id="escalation-rectification"')[1].split("</div>")[0]
    assert "超期 5 工作日告知督导组、局领导（约谈）" in ladder
    assert "500,000.00 元" in page and "下限 200.00 元，上限 200,000.00 元" in page and "全部案值：2%" in page


def test_loading_a_year_changes_working_days_and_is_audited(browser, runtime):
    admin = browser("admin")
    page = admin.get("/admin/calendar").text
    assert "未载入：落在该年的期限为暂定" in page.split('id="year-2027"')[1].split("</tr>")[0]
    spring = date(2027, 2, 10)  # a Wednesday: counted as a working day while 2027 is not loaded
    with runtime.db.read() as session:
        calendar = get_calendar(session)
        assert calendar.is_working_day(spring) and calendar.working_days_between(date(2027, 2, 5), date(2027, 2, 19)) == 10

    form = {"year": "2027", "holidays": "2027-02-10~2027-02-16\n2027-01-01", "workdays": "2027-02-07, 2027-02-20"}
    response = admin.post("/admin/calendar", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/calendar?year=2027"
    with runtime.db.read() as session:
        calendar = get_calendar(session)
        assert not calendar.is_working_day(spring) and calendar.is_working_day(date(2027, 2, 7))
        assert calendar.working_days_between(date(2027, 2, 5), date(2027, 2, 19)) == 6  # 5 days off, 1 made up
    shown = admin.get("/admin/calendar?year=2027").text
    assert "管理员载入" in shown.split('id="year-2027"')[1].split("</tr>")[0]
    assert "2027-02-10（周三） 至 2027-02-16（周二）" in shown and "2027-02-20（周六）" in shown
    assert audit_actions(runtime, "holiday_year") == ["calendar_year_loaded"]


def test_bad_calendar_input_gives_chinese_field_errors_and_loads_nothing(browser, runtime):
    admin = browser("admin")
    form = {"year": "2027", "holidays": "2027-02-30\n2027-02-11", "workdays": "2027-02-10"}
    response = admin.post("/admin/calendar", data=form)
    assert response.status_code == 422
    assert error_beside(response.text, "holidays", "calendar") == "“2027-02-30”不是有效日期"
    assert error_beside(response.text, "workdays", "calendar") == "调休上班日须为周六或周日：2027-02-10"
    assert ">2027-02-30\n2027-02-11</textarea>" in response.text  # what was typed is kept
    for changed, field, message in (
        ({"year": "二〇二七"}, "year", "请填写四位数年份，如 2027"),
        ({"holidays": "2026-12-31"}, "holidays", "2026-12-31 不在 2027 年内"),
        ({"holidays": "2027/02/11"}, "holidays", "“2027/02/11”格式不正确：应为 YYYY-MM-DD，连续日期可写作 YYYY-MM-DD~YYYY-MM-DD"),
        ({"holidays": "2027-02-06", "workdays": "2027-02-06"}, "workdays", "以下日期不能既是放假日又是调休上班日：2027-02-06"),
    ):
        response = admin.post("/admin/calendar", data={**form, "workdays": "", **changed})
        assert response.status_code == 422 and error_beside(response.text, field, "calendar") == message, changed
    assert count(runtime, HolidayYear) == 0 and audit_actions(runtime, "holiday_year") == []
