"""Supervision rectification: planning, the target unit's own view, the overdue ladder, publication guard."""
from datetime import datetime

from sqlmodel import func, select

from domain.calendar import SHANGHAI
from domain.models import DeadlineStep, Department, Outbox
from services.escalation import sweep
from services.supervision_reports import check_quarter_plan


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def dept(runtime, code: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(Department.id).where(Department.code == code)).one()


def started_round(client, login, runtime, *, government_review=False) -> dict:
    body = {"year": 2026, "quarter": 3, "title": "定点医药机构监管履职督导", "planned_start": "2026-09-21",
            "government_review": government_review,
            "targets": [{"department_id": dept(runtime, "wjw")}, {"department_id": dept(runtime, "gwz")},
                        {"institution_id": 1}]}
    created = client.post("/api/v1/supervision/rounds", json=body, headers=login("supervisor"))
    assert created.status_code == 201, created.text
    rnd = created.json()
    return client.post(f"/api/v1/supervision/rounds/{rnd['id']}/transitions",
                       json={"event": "start", "expected_version": 1}, headers=login("supervisor")).json()


def issue(client, login, rnd: dict, target_name: str, **extra) -> dict:
    target = next(t for t in rnd["targets"] if t["name"] == target_name)
    body = {"target_id": target["id"], "description": "未按要求开展医保政策宣传", "requirement": "制定宣传方案并入户宣传",
            "deadline_option": "30d", **extra}
    response = client.post(f"/api/v1/supervision/rounds/{rnd['id']}/findings", json=body, headers=login("supervisor"))
    assert response.status_code == 201, response.text
    return response.json()


def move(client, login, who, finding, event, text=None):
    response = client.post(f"/api/v1/supervision/findings/{finding['id']}/transitions",
                           json={"event": event, "expected_version": finding["version"], "text": text},
                           headers=login(who))
    assert response.status_code == 200, response.text
    return response.json()


def titles(runtime, finding_id: int) -> list[str]:
    with runtime.db.read() as session:
        return list(session.exec(select(Outbox.title).where(Outbox.subject_type == "finding",
                                                            Outbox.subject_id == finding_id).order_by(Outbox.id)))


def test_overdue_rectification_climbs_the_ladder_then_is_verified_and_closed(client, login, runtime, users, clock):
    rnd = started_round(client, login, runtime)
    finding = issue(client, login, rnd, "光武镇人民政府")
    rect = next(d for d in finding["deadlines"] if d["kind"] == "rect_30d")
    assert rect["last_day"] == "2026-10-21"  # 30 calendar days from Sep 21 (a Wednesday: no roll)
    finding = move(client, login, "township", finding, "acknowledge")
    clock.set(at("2026-10-22T09:00"))
    sweep(runtime)
    clock.set(at("2026-10-29T09:00"))  # 5 working days past Oct 21: 约谈
    sweep(runtime)
    clock.set(at("2026-11-12T09:00"))  # 15 working days past: 通报
    sweep(runtime)
    sweep(runtime)
    levels = [t for t in titles(runtime, finding["id"]) if "超期督办" in t]
    assert any("第1级·逾期提醒" in t for t in levels) and any("第2级·约谈" in t for t in levels)
    assert any("第3级·通报" in t for t in levels) and not any("第4级" in t for t in levels)
    with runtime.db.read() as session:
        steps = session.exec(select(DeadlineStep.code).where(DeadlineStep.deadline_id == rect["id"])).all()
    assert sorted(steps) == ["level-1", "level-2", "level-3", "remind-1", "remind-2"]  # each once
    finding = move(client, login, "township", finding, "report", text="已制定方案，完成入户宣传320户")
    finding = move(client, login, "supervisor", finding, "reopen", text="佐证材料不全")
    finding = move(client, login, "township", finding, "report", text="补充了宣传照片和签收单")
    finding = move(client, login, "supervisor", finding, "verify", text="核查通过")
    assert finding["status"] == "closed" and all(d["status"] != "open" for d in finding["deadlines"])


def test_a_target_unit_sees_only_its_own_findings(client, login, runtime, users):
    rnd = started_round(client, login, runtime)
    mine = issue(client, login, rnd, "光武镇人民政府")
    other = issue(client, login, rnd, "市卫生健康委员会")
    listed = client.get("/api/v1/supervision/findings", headers=login("township")).json()
    assert [f["id"] for f in listed] == [mine["id"]]
    assert client.get(f"/api/v1/supervision/findings/{other['id']}", headers=login("township")).status_code == 404
    refused = client.post(f"/api/v1/supervision/findings/{other['id']}/transitions",
                          json={"event": "acknowledge", "expected_version": 1}, headers=login("township"))
    assert refused.status_code == 404
    assert client.get("/api/v1/supervision/rounds", headers=login("township")).status_code == 403
    assert len(client.get("/api/v1/supervision/findings", headers=login("supervisor")).json()) == 2


def test_publishing_is_refused_without_assessment_and_approval(client, login, runtime, users):
    rnd = started_round(client, login, runtime)
    issue(client, login, rnd, "光武镇人民政府")
    url = f"/api/v1/supervision/rounds/{rnd['id']}"
    rnd = client.post(f"{url}/transitions", json={"event": "issue_findings", "expected_version": rnd["version"]},
                      headers=login("supervisor")).json()
    refused = client.post(f"{url}/publish", headers=login("supervisor"))
    assert refused.status_code == 409 and "舆情评估" in refused.json()["detail"]
    assert client.post(f"{url}/publication-approval", headers=login("head")).status_code == 409
    client.post(f"{url}/assessment", json={"text": "无重大舆情风险"}, headers=login("supervisor"))
    still = client.post(f"{url}/publish", headers=login("supervisor"))
    assert still.status_code == 409 and "审批" in still.json()["detail"]
    assert client.post(f"{url}/publication-approval", headers=login("supervisor")).status_code == 403
    assert client.post(f"{url}/publication-approval", headers=login("head")).status_code == 200
    published = client.post(f"{url}/publish", headers=login("supervisor"))
    assert published.status_code == 200 and published.json()["published_at"]
    report = client.get(f"{url}/report", headers=login("head")).text
    assert "市人民政府" in report and "共发现问题1个" in report and "尚在整改1个" in report


def test_an_objection_stops_the_rectification_clock_until_review(client, login, runtime, users, clock):
    rnd = started_round(client, login, runtime, government_review=True)
    finding = issue(client, login, rnd, "光武镇人民政府")
    assert {d["kind"] for d in finding["deadlines"]} == {"rect_30d", "objection_window"}
    clock.set(at("2026-10-12T10:00"))
    finding = move(client, login, "township", finding, "object", text="该问题已于8月整改")
    rect = next(d for d in finding["deadlines"] if d["kind"] == "rect_30d")
    assert rect["status"] == "paused"
    assert next(d for d in finding["deadlines"] if d["kind"] == "objection_review")["status"] == "open"
    clock.set(at("2026-11-02T10:00"))
    finding = move(client, login, "head", finding, "uphold", text="经复核，问题属实")
    rect = next(d for d in finding["deadlines"] if d["kind"] == "rect_30d")
    assert rect["status"] == "open" and rect["last_day"] == "2026-11-11"  # 9 days were left on Oct 12


def test_bad_finding_input_is_refused(client, login, runtime, users, clock):
    rnd = started_round(client, login, runtime)
    target = rnd["targets"][0]["id"]
    url = f"/api/v1/supervision/rounds/{rnd['id']}/findings"
    base = {"target_id": target, "description": "问题描述内容", "requirement": "整改"}
    missing_date = client.post(url, json={**base, "deadline_option": "date"}, headers=login("supervisor"))
    assert missing_date.status_code == 422
    past = client.post(url, json={**base, "deadline_option": "date", "due_date": "2026-09-01"},
                       headers=login("supervisor"))
    assert past.status_code == 422 and past.json()["field"] == "due_date"
    assert client.post(url, json={**base, "deadline_option": "3y"}, headers=login("supervisor")).status_code == 422
    assert client.post(url, json={**base, "deadline_option": "30d"}, headers=login("township")).status_code == 403


def test_the_quarter_warning_goes_once_when_no_round_is_planned(runtime, users, clock):
    clock.set(at("2026-12-05T09:00"))  # Q4 ends Dec 31: inside the 30-day warning window
    assert check_quarter_plan(runtime) is True
    assert check_quarter_plan(runtime) is True
    with runtime.db.read() as session:
        sent = session.exec(select(func.count()).select_from(Outbox).where(Outbox.kind == "quarter_unplanned")).one()
    assert sent == 1  # the supervisor, once
    clock.set(at("2026-11-20T09:00"))
    assert check_quarter_plan(runtime) is False  # too early in the quarter to warn
