"""The leader's dashboard and the Excel exports, from data the tests make: counts by stage, overdue by department
and level after a sweep with the clock moved, time per stage against its limit, unsigned referrals, the reward
budget paid; role refusals; workbooks that open with openpyxl with the expected header and rows."""
from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlmodel import select

from domain.models import Deadline
from services import dashboard as dashboard_module
from services.dashboard import dashboard
from services.escalation import sweep
from tests.helpers import actor, register, send
from tests.test_documents_pdf import ANON_TIP, API, at, concluded_tip, dept, issued_reward, move, ok

TIP_HEADER = ["举报编号", "办理阶段", "举报渠道", "被举报机构", "登记时间", "涉及金额（元）", "匿名举报", "核查结论",
              "查实金额（元）", "追回金额（元）", "是否超期"]
CLAIMANT = {"identity_verified": True, "name": "匿名领奖人甲", "id_number": "341282199203034567",
            "phone": "13700001111", "bank_name": "界首农商银行", "bank_account": "6230910000123456"}


def figures(runtime, users):
    with runtime.read(actor(users["head"])) as ctx:
        return dashboard(ctx)


def sheet(response) -> list[list]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    return [list(row) for row in rows]


def sweep_until_quiet(runtime) -> None:
    for _ in range(6):
        if not sweep(runtime).steps:
            return
    raise AssertionError("the sweep keeps taking steps")


def build_scenario(client, login, runtime, users, clock) -> dict:
    """Tips A, B, C; C accepted after 3 WD and referred (never signed); the clock passes A's and B's deadline."""
    tips = {name: register(runtime, users["desk"], anonymous=True) for name in "ABC"}
    clock.set(at("2026-09-24T10:00"))
    send(runtime, users["chief"], tips["C"].id, "accept")
    body = {"department_ids": [dept(runtime, "wjw")], "summary": "某医院超标准收费骗取医保基金"}
    (ref,) = ok(client.post(f"{API}/tips/{tips['C'].id}/referrals", json=body, headers=login("investigator")), 201)
    ref = move(client, login, "head", "referrals", ref, "approve")
    ref = move(client, login, "investigator", "referrals", ref, "send_letter")
    with runtime.db.read() as session:
        filing = session.exec(select(Deadline).where(
            Deadline.subject_type == "tip", Deadline.subject_id == tips["A"].id, Deadline.kind == "filing_decision")).one()
    clock.set(at(f"{filing.last_day + timedelta(days=8)}T10:00"))  # more than 3 working days past: level 2
    sweep_until_quiet(runtime)
    return {"tips": tips, "referral": ref, "filing_last_day": filing.last_day}


def test_dashboard_figures_come_from_the_data(client, login, runtime, users, clock):
    made = build_scenario(client, login, runtime, users, clock)
    view = figures(runtime, users)
    tips = {s.label: s.count for s in view.open_items[0].stages}
    assert (tips["已登记"], tips["已立案"], view.open_items[0].total) == (2, 1, 3)
    referrals = next(o for o in view.open_items if o.key == "referrals")
    assert {s.label: s.count for s in referrals.stages if s.count} == {"已移送": 1}
    assert all(o.total == 0 for o in view.open_items if o.key in ("findings", "rewards"))
    with runtime.db.read() as session:
        ack = session.exec(select(Deadline).where(Deadline.subject_type == "referral",
                                                  Deadline.kind == "department_ack")).one()
    rows = {r.department: r.by_level for r in view.overdue.rows}
    assert rows == {"市医疗保障局": {2: 2}, "市卫生健康委员会": {ack.escalation_level: 1}} and ack.escalation_level >= 1
    assert view.overdue.total == 3
    (unsigned,) = view.unsigned
    assert (unsigned.number, unsigned.department, unsigned.overdue) == (made["referral"]["number"], "市卫生健康委员会", True)
    filing = next(s for s in view.stage_times if s.subject == "举报线索" and s.stage == "立案决定")
    assert (filing.used, filing.over_limit, filing.running, filing.limit_text) == ([3.0], 0, 2, "15个工作日")
    send(runtime, users["chief"], made["tips"]["A"].id, "accept")  # late: past its last day
    filing = next(s for s in figures(runtime, users).stage_times if s.stage == "立案决定")
    assert (filing.over_limit, filing.running) == (1, 1)
    fast, late = sorted(filing.used)
    assert fast == 3.0 and late > 15 and filing.average == round((fast + late) / 2, 1)
    assert {r.department: r.total for r in figures(runtime, users).overdue.rows}["市医疗保障局"] == 1


def test_dashboard_page_shows_charts_tables_and_export_links(client, login, runtime, users, clock):
    made = build_scenario(client, login, runtime, users, clock)
    page = client.get("/dashboard", headers=login("chief"))
    assert page.status_code == 200
    html = page.text
    for text in ("领导看板", "在办事项", "超期事项", "各阶段平均用时与法定时限", "未签收的移送", "举报奖励发放与预算",
                 "市卫生健康委员会", made["referral"]["number"], "第2级", "15个工作日", "近 365 日内完成的阶段"):
        assert text in html
    assert html.count("<svg") >= 7 and "<script" not in html  # server-drawn charts, no JavaScript
    for name in ("tips", "referrals", "overdue", "rewards"):
        assert f'href="/api/v1/export/{name}.xlsx"' in html
    assert '<a href="/dashboard">领导看板</a>' in html


def test_rewards_paid_against_the_budget(client, login, runtime, users):
    tip, code = concluded_tip(client, login, users, ANON_TIP)
    reward = issued_reward(client, login, tip)
    reward = move(client, login, "desk", "rewards", reward, "claim", claimant={**CLAIMANT, "receipt_code": code})
    move(client, login, "desk", "rewards", reward, "pay", bank_transfer_ref="NSYH2026092100017")
    view = figures(runtime, users)
    assert (str(view.budget.budgeted), str(view.budget.paid), str(view.budget.committed), view.paid_count) == (
        "500000.00", "600.00", "0.00", 1)
    assert str(view.budget.available) == "499400.00"
    html = client.get("/dashboard", headers=login("auditor")).text
    assert "600.00 元" in html and "499,400.00 元" in html and "已发放（1 笔）" in html
    rows = sheet(client.get(f"{API}/export/rewards.xlsx", headers=login("desk")))
    assert rows[0][:4] == ["奖励编号", "举报编号", "办理状态", "奖励金额（元）"]
    assert [r[:4] for r in rows[1:]] == [[reward["number"], tip["number"], "已发放", 600.0]]
    assert CLAIMANT["name"] not in str(rows) and CLAIMANT["bank_account"] not in str(rows)


def test_only_leaders_see_the_dashboard(client, login, users):
    for who in ("chief", "head", "admin", "auditor"):
        assert client.get("/dashboard", headers=login(who)).status_code == 200
    for who in ("desk", "investigator", "police", "office", "grid"):
        refused = client.get("/dashboard", headers=login(who))
        assert refused.status_code == 403 and "无权" in refused.text
        assert '<a href="/dashboard">' not in client.get("/howto", headers=login(who)).text
    anonymous = client.get("/dashboard", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_exports_open_in_openpyxl_with_chinese_headers_and_the_lists_rows(client, login, runtime, users, clock):
    made = build_scenario(client, login, runtime, users, clock)
    rows = sheet(client.get(f"{API}/export/tips.xlsx", headers=login("head")))
    assert rows[0] == TIP_HEADER
    by_number = {r[0]: r for r in rows[1:]}
    assert set(by_number) == {t.number for t in made["tips"].values()}
    assert by_number[made["tips"]["B"].number][1:4] == ["已登记", "电话", "界首市人民医院"]
    assert by_number[made["tips"]["B"].number][10] == "是" and by_number[made["tips"]["C"].number][10] == "否"
    assert len(sheet(client.get(f"{API}/export/tips.xlsx?status=accepted", headers=login("desk")))) == 2
    health = sheet(client.get(f"{API}/export/referrals.xlsx", headers=login("health")))
    assert health[0][:5] == ["移送文号", "举报编号", "移送类型", "接收单位", "办理状态"]
    assert [r[:5] for r in health[1:]] == [[made["referral"]["number"], made["tips"]["C"].number, "部门移送",
                                            "市卫生健康委员会", "已移送"]]
    assert len(sheet(client.get(f"{API}/export/referrals.xlsx", headers=login("police")))) == 1  # header only
    overdue = sheet(client.get(f"{API}/export/overdue.xlsx", headers=login("chief")))
    assert overdue[0][:5] == ["责任单位", "编号", "期限", "办理阶段", "督办级别"]
    assert sorted((r[0], r[4]) for r in overdue[1:])[:2] == [("市医疗保障局", "第2级")] * 2 and len(overdue) == 4


def test_exports_are_role_checked_like_the_lists(client, login):
    for who, name in (("police", "tips"), ("police", "rewards"), ("desk", "overdue"), ("grid", "referrals"),
                      ("investigator", "overdue")):
        assert client.get(f"{API}/export/{name}.xlsx", headers=login(who)).status_code == 403
    assert client.get(f"{API}/export/tips.xlsx").status_code == 401
    assert client.get(f"{API}/export/tips.xlsx?status=bogus", headers=login("head")).status_code == 422
    assert client.get(f"{API}/export/users.xlsx", headers=login("head")).status_code == 422


def test_stage_times_count_stages_finished_in_the_last_twelve_months(runtime, users, clock):
    tip = register(runtime, users["desk"])
    clock.advance(days=3)
    send(runtime, users["chief"], tip.id, "accept")  # the filing stage finishes
    register(runtime, users["desk"])  # another waits for its filing decision

    def filing_stage():
        return next(s for s in figures(runtime, users).stage_times if s.stage == "立案决定")

    clock.advance(days=300)
    assert (filing_stage().used, filing_stage().running) == ([3.0], 1)
    clock.advance(days=70)  # the finished stage is now more than a year old; the running one still counts
    assert (filing_stage().used, filing_stage().running) == ([], 1)


def test_the_overdue_total_stays_exact_where_the_matrix_covers_only_the_earliest(client, login, runtime, users,
                                                                                   clock, monkeypatch):
    build_scenario(client, login, runtime, users, clock)  # three overdue clocks
    monkeypatch.setattr(dashboard_module, "MATRIX_LIMIT", 2)
    overdue = figures(runtime, users).overdue
    assert (overdue.total, overdue.counted, sum(r.total for r in overdue.rows)) == (3, 2, 2)
    html = client.get("/dashboard", headers=login("chief")).text
    assert "共 3 项" in html and "部门和级别分布按最早超期的 2 项统计" in html
