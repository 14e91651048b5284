"""Information reports: due rows generated once, channel rules (classified never over the network), reminders
before the due date, late and missing reports listed, major matters flagged late past their hours."""
from datetime import datetime

from sqlmodel import func, select

from domain.calendar import SHANGHAI
from domain.coordination_models import InfoReport
from domain.models import AuditEntry, Deadline, Outbox
from services.escalation import sweep
from services.info_reports import generate_due_reports

CONTENT = "本周走访定点药店3家，发现一家药店存在串换药品嫌疑，已留存票据。"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def reports(client, login, who: str, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/info-reports{query}", headers=login(who))
    assert response.status_code == 200, response.text
    return response.json()


def submit(client, login, who: str, report: dict, status: int = 200, **fields) -> dict:
    body = {"expected_version": report["version"], "channel": "paper", "content": CONTENT, **fields}
    response = client.post(f"/api/v1/info-reports/{report['id']}/submission", json=body, headers=login(who))
    assert response.status_code == status, response.text
    return response.json()


def count(runtime, model, *where) -> int:
    with runtime.db.read() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_due_reports_are_generated_once_per_reporter_and_period(client, login, runtime, users, clock):
    assert generate_due_reports(runtime) == 2  # Monday Sep 21: the grid's weekly, the township's monthly
    assert generate_due_reports(runtime) == 0
    weekly = reports(client, login, "grid")
    assert [(r["kind"], r["period_start"], r["status"]) for r in weekly] == [("weekly", "2026-09-21", "due")]
    assert weekly[0]["due_at"].startswith("2026-09-28T16:00")  # Friday Sep 25 is Mid-Autumn: due end of Monday
    monthly = reports(client, login, "township_admin", "?kind=monthly")
    assert [(r["period_start"], r["reporter_name"]) for r in monthly] == [("2026-09-01", "杨管理员")]
    assert count(runtime, Deadline, Deadline.subject_type == "info_report") == 2
    clock.set(at("2026-09-28T09:00"))  # the next week, the same month
    assert generate_due_reports(runtime) == 1 and generate_due_reports(runtime) == 0
    assert count(runtime, InfoReport) == 3 and count(runtime, Deadline, Deadline.subject_type == "info_report") == 3


def test_classified_report_over_the_network_is_refused_and_nothing_is_written(client, login, runtime, users, clock):
    generate_due_reports(runtime)
    (weekly,) = reports(client, login, "grid")
    refused = submit(client, login, "grid", weekly, status=422, channel="network", classified=True)
    assert refused["field"] == "channel" and "涉密信息不得通过网络报送" in refused["detail"]
    with runtime.db.read() as session:
        row = session.get(InfoReport, weekly["id"])
        assert (row.status, row.version, row.channel, row.content, row.submitted_at) == ("due", 1, None, None, None)
    assert count(runtime, AuditEntry, AuditEntry.subject_type == "info_report", AuditEntry.action == "submit") == 0
    assert count(runtime, Outbox, Outbox.subject_type == "info_report") == 0
    assert count(runtime, Deadline, Deadline.subject_id == weekly["id"], Deadline.status == "open") == 1
    phoned = submit(client, login, "grid", weekly, status=422, channel="phone")
    assert phoned["field"] == "channel" and "书面" in phoned["detail"]  # routine reports are written
    done = submit(client, login, "grid", weekly, channel="paper", classified=True)
    assert (done["status"], done["late"], done["classified"], done["version"]) == ("submitted", False, True, 2)
    with runtime.db.read() as session:
        told = session.exec(select(Outbox).where(Outbox.kind == "info_report_received")).all()
    assert [m.recipient_id for m in told] == [users["township_admin"].id] and "纸质" in told[0].body


def test_reminders_go_before_the_due_date_and_late_or_missing_reports_are_listed(client, login, runtime, users,
                                                                                   clock):
    clock.set(at("2026-11-02T09:00"))  # Monday: weekly due Friday Nov 6, monthly due Wednesday Nov 25
    generate_due_reports(runtime)
    clock.set(at("2026-11-05T09:00"))  # the day before the weekly report is due
    sweep(runtime)
    with runtime.db.read() as session:
        query = select(Outbox.recipient_id, Outbox.title).where(Outbox.kind == "deadline_reminder")
        reminded = session.exec(query).all()
    assert reminded == [(users["grid"].id, "【期限提醒】光武镇人民政府·2026-11-02 村级监督信息周报将于 2026-11-06 到期")]
    clock.set(at("2026-11-09T09:00"))
    sweep(runtime)
    missing = reports(client, login, "township_admin", "/overdue")
    assert [(r["kind"], r["reporter_name"], r["missing"], r["late"]) for r in missing] == [
        ("weekly", "许监督员", True, False)]
    late = submit(client, login, "grid", missing[0], channel="network")
    assert late["late"] is True and late["missing"] is False
    clock.set(at("2026-11-26T09:00"))
    listed = {r["kind"]: r for r in reports(client, login, "office", "/overdue")}
    assert listed["weekly"]["late"] and listed["monthly"]["missing"] and set(listed) == {"weekly", "monthly"}
    office = client.post(f"/api/v1/info-reports/{late['id']}/transitions", headers=login("office"),
                         json={"event": "accept", "expected_version": late["version"]})
    assert office.status_code == 403  # weekly reports are received by the township
    accepted = client.post(f"/api/v1/info-reports/{late['id']}/transitions", headers=login("township_admin"),
                           json={"event": "accept", "expected_version": late["version"]})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


def major(client, login, who: str, status: int = 201, **fields) -> dict:
    body = {"found_at": "2026-09-21T09:00:00+08:00", "category": "opinion", "channel": "phone",
            "content": "网络流传某医院套取医保基金视频，转发量上升", **fields}
    response = client.post("/api/v1/info-reports/major", json=body, headers=login(who))
    assert response.status_code == status, response.text
    return response.json()


def test_a_major_report_past_its_hours_limit_is_flagged_late(client, login, runtime, users, clock):
    hours = runtime.policy.rule("info_major").amount
    assert hours == 2  # clock: 10:00; the matters below were found 2.5 h and 1 h before
    late = major(client, login, "grid", found_at="2026-09-21T07:30:00+08:00")
    timely = major(client, login, "grid", category="case", channel="network")
    assert (late["late"], timely["late"]) == (True, False) and late["period_start"] == timely["period_start"]
    assert late["due_at"].startswith("2026-09-21T01:30")  # found 07:30 + 2 h, in UTC
    refused = major(client, login, "township_admin", status=422, category="case", channel="phone")
    assert refused["field"] == "channel"  # a major case must be written
    assert major(client, login, "grid", status=422, found_at="2026-09-21T11:00:00+08:00")["field"] == "found_at"
    secret = major(client, login, "township_admin", classified=True, content="涉密：某领导亲属涉嫌骗保")
    assert secret["channel"] == "phone"
    with runtime.db.read() as session:
        sent = session.exec(select(Outbox).where(Outbox.kind == "info_report_major")).all()
    assert {m.recipient_id for m in sent} == {users["office"].id, users["convener"].id} and len(sent) == 6
    assert any("超时" in m.title for m in sent) and not any("亲属" in m.body for m in sent)


def test_roles_are_refused_and_bad_input_rejected(client, login, runtime, users, clock):
    generate_due_reports(runtime)
    (weekly,) = reports(client, login, "grid")
    (monthly,) = reports(client, login, "township_admin", "?kind=monthly")
    assert client.get("/api/v1/info-reports", headers=login("police")).status_code == 403
    assert major(client, login, "office", status=403)["detail"]
    assert client.get(f"/api/v1/info-reports/{monthly['id']}", headers=login("grid")).status_code == 404
    submit(client, login, "grid", monthly, status=404)
    assert submit(client, login, "township_admin", weekly, status=403)["code"] == "forbidden"  # not theirs
    submit(client, login, "grid", weekly, status=422, channel="fax")
    submit(client, login, "grid", weekly, status=422, content="短")
    stale = submit(client, login, "grid", {**weekly, "version": 7}, status=409)
    assert stale["current_version"] == 1
    done = submit(client, login, "grid", weekly)
    url = f"/api/v1/info-reports/{done['id']}/transitions"
    no_reason = client.post(url, json={"event": "return_report", "expected_version": 2},
                            headers=login("township_admin"))
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "text"
    returned = client.post(url, json={"event": "return_report", "expected_version": 2, "text": "请补充药店名称"},
                           headers=login("township_admin")).json()
    assert returned["status"] == "returned" and returned["allowed_events"] == []
    again = client.post(url, json={"event": "accept", "expected_version": 3}, headers=login("township_admin"))
    assert again.status_code == 409 and again.json()["allowed_events"] == ["submit"]
    resubmitted = submit(client, login, "grid", returned, content=CONTENT + "药店名称：仁和堂药店。")
    assert resubmitted["status"] == "submitted" and resubmitted["late"] is False
    assert [r["kind"] for r in reports(client, login, "grid")] == ["weekly"]  # only their own
