"""Joint meeting: the cycle with minutes distributed by a real Prefect flow, read receipts chased by the
sweep, topics' cut-off, convener-only approval, the .ics invitation, and decided matters' ladder and carry-over."""
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select, update

from domain.calendar import SHANGHAI
from domain.coordination_models import DecidedMatter, InfoReport, Meeting, MinutesReceipt
from domain.models import AuditEntry, Deadline, DeadlineStep, Department, Outbox, User
from services.escalation import sweep
from services.meetings import open_due_meeting
from services.minutes import circulate_overdue, issue, recipients_of, send_to_unit
from settings import get_settings
from workflows.coordination import coordination_sweep, minutes_distribution

MEMBER_UNITS = 15  # the seed's member units besides the office's own bureau


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def dept(runtime, code: str) -> int:
    with runtime.db.read() as session:
        return session.exec(select(Department.id).where(Department.code == code)).one()


def move(client, login, who: str, row: dict, event: str, status: int = 200, kind="meetings", **fields) -> dict:
    body = {"event": event, "expected_version": row["version"], **fields}
    response = client.post(f"/api/v1/{kind}/{row['id']}/transitions", json=body, headers=login(who))
    assert response.status_code == status, response.text
    return response.json()


def opened(client, login, runtime) -> dict:
    assert (meeting_id := open_due_meeting(runtime)) is not None
    return client.get(f"/api/v1/meetings/{meeting_id}", headers=login("office")).json()


def to_notice(client, login, meeting: dict, *, agenda="一、通报基金监管形势；二、研究行刑衔接问题",
              location="市政府三楼会议室", topic=False) -> dict:
    meeting = move(client, login, "office", meeting, "open_topics", topic_cutoff="2026-09-30")
    chosen = [client.post(f"/api/v1/meetings/{meeting['id']}/topics", headers=login("police"),
                          json={"title": "打击欺诈骗保专项行动线索移送衔接"}).json()["id"]] if topic else []
    meeting = move(client, login, "office", meeting, "propose_agenda", topic_ids=chosen, agenda=agenda)
    meeting = move(client, login, "convener", meeting, "approve_agenda", scheduled_at="2026-10-15T09:00:00+08:00",
                   location=location)
    return move(client, login, "office", meeting, "send_notice")


def to_approved_minutes(client, login, runtime, clock, matters: list[dict]) -> dict:
    meeting = to_notice(client, login, opened(client, login, runtime), topic=True)
    clock.set(at("2026-10-15T11:30"))
    meeting = move(client, login, "office", meeting, "hold")
    meeting = move(client, login, "office", meeting, "draft_minutes", matters=matters,
                   minutes="会议听取了各成员单位工作汇报，研究了行刑衔接等问题，议定事项如下。")
    return move(client, login, "convener", meeting, "approve_minutes")


def distribute(runtime, meeting_id: int) -> None:
    """The minutes-distribution flow's steps, run in-process (the flow itself is tested below)."""
    for unit in recipients_of(runtime):
        send_to_unit(runtime, meeting_id, unit)
    assert issue(runtime, meeting_id)


def matter_items(runtime) -> list[dict]:
    return [{"title": "建立欺诈骗保案件移送反馈台账", "owner_department_id": dept(runtime, "gaj"), "due_date": "2026-11-30"},
            {"title": "开展定点医疗机构诊疗行为专项检查", "owner_department_id": dept(runtime, "wjw"), "due_date": "2027-01-31"}]


@pytest.fixture
def smtp(monkeypatch, runtime, users):
    """E-mail configured for the flows (settings re-read) and every liaison given an address."""
    monkeypatch.setenv("FUNDWATCH_SMTP_HOST", "smtp.invalid")
    get_settings.cache_clear()
    with runtime.db.write() as session:
        session.execute(update(User).where(User.role == "liaison").values(email=User.username + "@example.gov.cn"))
    yield
    monkeypatch.delenv("FUNDWATCH_SMTP_HOST")
    get_settings.cache_clear()


def test_full_cycle_minutes_flow_and_the_unit_that_never_confirms(prefect_server, process_database, smtp, client,
                                                                  login, runtime, users, clock):
    meeting = to_approved_minutes(client, login, runtime, clock, matter_items(runtime))
    first = minutes_distribution()
    assert first["sent"] == MEMBER_UNITS and first["issued"] == [meeting["id"]]
    assert minutes_distribution() == {"meetings": [], "sent": 0, "issued": []}  # idempotent: nothing twice
    with runtime.db.read() as session:
        sent = session.exec(select(Outbox).where(Outbox.kind == "meeting_minutes")).all()
        assert session.get(Meeting, meeting["id"]).status == "minutes_issued"
        assert len(session.exec(select(MinutesReceipt)).all()) == MEMBER_UNITS
        court = session.exec(select(Deadline).join(MinutesReceipt, MinutesReceipt.id == Deadline.subject_id).where(
            Deadline.kind == "minutes_read", MinutesReceipt.department_id == dept(runtime, "fy"))).one()
    assert sorted({m.channel for m in sent}) == ["email", "inbox"] and len(sent) == 2 * MEMBER_UNITS
    assert all(f"/api/v1/meetings/{meeting['id']}/minutes" in m.body and "移送反馈台账" in m.body for m in sent)
    clock.set(court.start_at)
    for user in [u for u in users.values() if u.role == "liaison" and u.username not in ("lx_fy", "township")]:
        assert client.post(f"/api/v1/meetings/{meeting['id']}/receipt", headers=login(user.username)).status_code == 200
    assert "移送反馈台账" in client.get(f"/api/v1/meetings/{meeting['id']}/minutes", headers=login("police")).text
    walk_days(runtime, clock, court.start_at, days=30)
    assert_configured_steps_only(runtime, court, users["lx_fy"])
    late = client.get(f"/api/v1/meetings/{meeting['id']}/unconfirmed", headers=login("office")).json()
    rule = runtime.policy.escalation("minutes_read")
    assert [(r["department_name"], r["reminders_sent"]) for r in late] == [("市人民法院", len(rule.reminders + rule.ladder))]
    assert [r["department_name"] for r in client.get(f"/api/v1/meetings/{meeting['id']}/receipts",
                                                     headers=login("lx_fy")).json()] == ["市人民法院"]


def walk_days(runtime, clock, start: datetime, *, days: int) -> None:
    """Sweep twice every morning for `days` days from `start` (no sleeping: the clock moves)."""
    first = start.astimezone(SHANGHAI).replace(hour=9, minute=0, second=0, microsecond=0)
    for n in range(1, days + 1):
        clock.set(first + timedelta(days=n))
        sweep(runtime)
        sweep(runtime)


def assert_configured_steps_only(runtime, deadline: Deadline, liaison: User) -> None:
    rule = runtime.policy.escalation("minutes_read")
    expected = [f"remind-{i}" for i in range(1, len(rule.reminders) + 1)] + \
        [f"level-{i}" for i in range(1, len(rule.ladder) + 1)]
    to_liaison = sum("liaison" in step.notify for step in rule.reminders + rule.ladder)
    with runtime.db.read() as session:
        taken = session.exec(select(DeadlineStep.code).where(DeadlineStep.deadline_id == deadline.id)).all()
        others = session.exec(select(DeadlineStep).join(Deadline, Deadline.id == DeadlineStep.deadline_id).where(
            Deadline.kind == "minutes_read", Deadline.id != deadline.id)).all()
        messages = session.exec(select(Outbox).where(Outbox.deadline_id == deadline.id,
                                                     Outbox.recipient_id == liaison.id)).all()
    assert sorted(taken) == sorted(expected) and others == []
    assert len(messages) == to_liaison and all("人民法院" in m.title for m in messages)


def test_coordination_sweep_flow_opens_the_meeting_and_generates_reports_once(prefect_server, process_database,
                                                                               runtime, users):
    first = coordination_sweep()
    assert first["opened_meeting"] is not None and first["reports_created"] == 2  # grid weekly, township monthly
    assert coordination_sweep() == {"opened_meeting": None, "reports_created": 0, "matters_circulated": []}
    with runtime.db.read() as session:
        assert len(session.exec(select(Meeting)).all()) == 1 and len(session.exec(select(InfoReport)).all()) == 2
        told = session.exec(select(Outbox.recipient_id).where(Outbox.kind == "meeting_due")).all()
    assert told == [users["office"].id]


def test_decided_matters_are_carried_to_the_next_meetings_agenda(client, login, runtime, users, clock):
    meeting = to_approved_minutes(client, login, runtime, clock, matter_items(runtime))
    distribute(runtime, meeting["id"])
    police = client.get("/api/v1/matters", headers=login("police")).json()
    assert [m["owner_name"] for m in police] == ["市公安局"]  # a liaison sees only its own unit's matters
    topics = {who: client.get(f"/api/v1/meetings/{meeting['id']}/topics", headers=login(who)).json()
              for who in ("health", "police")}
    assert topics["health"] == [] and [t["department_name"] for t in topics["police"]] == ["市公安局"]
    done = move_matter(client, login, "police", police[0], "report_progress", text="台账已建立并运行")
    assert done["deadlines"][0]["status"] == "paused"  # the office holds the ball meanwhile
    done = move_matter(client, login, "office", done, "verify")
    assert done["status"] == "done_verified" and done["deadlines"][0]["status"] == "met"
    clock.set(at("2027-03-01T09:00"))
    assert open_due_meeting(runtime) is None  # due 2027-04-15: opened 30 days before, not yet
    clock.set(at("2027-03-20T09:00"))
    second = open_due_meeting(runtime)
    assert second is not None and open_due_meeting(runtime) is None  # never two open meetings
    agenda = client.get(f"/api/v1/meetings/{second}/agenda", headers=login("office")).json()
    assert agenda["meeting"]["due_by"] == "2027-04-15" and agenda["meeting"]["seq"] == 2
    assert [m["title"] for m in agenda["carried_matters"]] == ["开展定点医疗机构诊疗行为专项检查"]
    assert client.get(f"/api/v1/meetings/{second}/agenda", headers=login("police")).json()["carried_matters"] == []
    nxt = move(client, login, "office", agenda["meeting"], "open_topics", topic_cutoff="2027-03-30")
    nxt = move(client, login, "office", nxt, "propose_agenda", agenda="听取上次会议议定事项落实情况")
    move(client, login, "convener", nxt, "approve_agenda", scheduled_at="2027-04-10T09:00:00+08:00", location="市医保局")
    assert "开展定点医疗机构诊疗行为专项检查" in client.get(f"/api/v1/meetings/{second}/notice", headers=login("health")).text


def move_matter(client, login, who: str, matter: dict, event: str, **fields) -> dict:
    return move(client, login, who, matter, event, kind="matters", **fields)


def test_topic_after_cutoff_is_refused_and_only_the_convener_approves(client, login, runtime, users, clock):
    meeting = move(client, login, "office", opened(client, login, runtime), "open_topics", topic_cutoff="2026-09-25")
    clock.set(at("2026-09-26T08:00"))
    late = client.post(f"/api/v1/meetings/{meeting['id']}/topics", json={"title": "医保数据共享机制"},
                       headers=login("police"))
    assert late.status_code == 409 and "议题征集已于 2026-09-25 截止" in late.json()["detail"]
    assert client.get(f"/api/v1/meetings/{meeting['id']}/topics", headers=login("office")).json() == []
    meeting = move(client, login, "office", meeting, "propose_agenda", agenda="通报基金监管形势")
    move(client, login, "office", meeting, "approve_agenda", status=403, scheduled_at="2026-10-15T09:00:00+08:00",
         location="市政府")
    missing = move(client, login, "convener", meeting, "approve_agenda", status=422,
                   scheduled_at="2026-10-15T09:00:00+08:00")
    assert missing["field"] == "location"
    stale = move(client, login, "convener", {**meeting, "version": 1}, "approve_agenda", status=409)
    assert stale["current_version"] == meeting["version"]
    early = move(client, login, "office", meeting, "send_notice", status=409)
    assert early["allowed_events"] == ["approve_agenda", "return_agenda"] and "不能发送会议通知" in early["detail"]
    move(client, login, "convener", meeting, "return_agenda", status=422)  # a reason is required
    back = move(client, login, "convener", meeting, "return_agenda", text="请补充行刑衔接议题")
    assert back["status"] == "collecting_topics"
    assert move(client, login, "office", back, "issue_minutes", status=403)["code"] == "forbidden"
    assert client.get("/api/v1/meetings", headers=login("grid")).status_code == 403
    assert move(client, login, "police", back, "propose_agenda", status=403, agenda="x" * 5)["code"] == "forbidden"


def test_bad_meeting_input_is_refused(client, login, runtime, users, clock):
    meeting = opened(client, login, runtime)
    assert move(client, login, "office", meeting, "open_topics", status=422, topic_cutoff="2026-09-20")["field"] == \
        "topic_cutoff"
    assert move(client, login, "office", meeting, "fly", status=422)["field"] == "event"
    move(client, login, "office", meeting, "open_topics", status=422, colour="red")  # unknown field
    meeting = to_notice(client, login, meeting)
    clock.set(at("2026-10-15T11:30"))
    meeting = move(client, login, "office", meeting, "hold")
    bad = [{"title": "由市政府统筹协调", "owner_department_id": dept(runtime, "zf"), "due_date": "2026-12-01"}]
    refused = move(client, login, "office", meeting, "draft_minutes", status=422, minutes="会议纪要正文内容若干", matters=bad)
    assert refused["field"] == "matters[0].owner_department_id" and "成员单位" in refused["detail"]
    assert client.post("/api/v1/meetings", json={"due_by": "2026-12-01"}, headers=login("office")).status_code == 409


def parse_ics(text: str) -> list[tuple[str, str]]:
    """A tiny RFC 5545 reader: CRLF lines, unfolded, split into (name, value)."""
    assert text.endswith("\r\n") and all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "").replace("\r\n\t", "")
    pairs = [line.split(":", 1) for line in unfolded.split("\r\n") if line]
    return [(name.split(";")[0], value) for name, value in pairs]


def test_the_invitation_is_valid_icalendar(client, login, runtime, users, clock):
    meeting = opened(client, login, runtime)
    assert client.get(f"/api/v1/meetings/{meeting['id']}/invite.ics", headers=login("police")).status_code == 409
    agenda = "一、通报全市医保基金监管形势；二、研究定点医疗机构违规问题线索移送和联合惩戒工作机制，明确责任分工"
    meeting = to_notice(client, login, meeting, agenda=agenda, location="市政府三楼会议室, 东楼")
    with runtime.db.read() as session:
        told = session.exec(select(Outbox.recipient_id).where(Outbox.kind == "meeting_notice")).all()
    assert len(told) == MEMBER_UNITS + 1 and users["convener"].id in told  # every member unit and the convener
    response = client.get(f"/api/v1/meetings/{meeting['id']}/invite.ics", headers=login("police"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    lines = parse_ics(response.text)
    names = [n for n, _ in lines]
    assert names[0] == "BEGIN" and lines[0][1] == "VCALENDAR" and lines[-1] == ("END", "VCALENDAR")
    event = dict(lines[names.index("BEGIN", 1) + 1: names.index("END")])
    assert ("BEGIN", "VEVENT") in lines and event["UID"].startswith("fundwatch-meeting-")
    assert event["DTSTART"] == "20261015T010000Z"  # 09:00 in Shanghai
    assert event["SUMMARY"] == meeting["title"] and event["LOCATION"] == "市政府三楼会议室\\, 东楼"
    assert event["DESCRIPTION"] == agenda and len(response.text.split("\r\n")) > len(lines)
    assert client.get(f"/api/v1/meetings/{meeting['id']}/invite.ics", headers=login("grid")).status_code == 403


def test_an_overdue_matter_climbs_its_ladder_once_per_level_and_is_circulated(client, login, runtime, users, clock):
    meeting = to_approved_minutes(client, login, runtime, clock, matter_items(runtime))
    clock.set(at("2026-10-20T10:00"))
    distribute(runtime, meeting["id"])
    police = client.get("/api/v1/matters", headers=login("police")).json()[0]
    assert client.get(f"/api/v1/matters/{police['id']}", headers=login("health")).status_code == 404
    for day in ("2026-11-23", "2026-12-01", "2026-12-08", "2026-12-22", "2026-12-23"):  # due Nov 30 (Mon)
        clock.set(at(f"{day}T09:00"))
        sweep(runtime)
        sweep(runtime)
        circulate_overdue(runtime)
    with runtime.db.read() as session:
        clock_id = police["deadlines"][0]["id"]
        taken = session.exec(select(DeadlineStep.code).where(DeadlineStep.deadline_id == clock_id)).all()
        titles = session.exec(select(Outbox.title).where(Outbox.deadline_id == clock_id)).all()
        named = session.exec(select(Outbox).where(Outbox.kind == "matter_named")).all()
        audits = session.exec(select(AuditEntry).where(AuditEntry.action == "named")).all()
    assert sorted(taken) == ["level-1", "level-2", "level-3", "remind-1"]
    assert {t.split("】")[0] for t in titles if "超期" in t} == {"【超期督办·第1级·逾期提醒", "【超期督办·第2级·通报",
                                                               "【超期督办·第3级·报告市政府"}
    assert len(named) == MEMBER_UNITS + 1 and len(audits) == 1  # every member liaison and the office, once
    seen = client.get(f"/api/v1/matters/{police['id']}", headers=login("police")).json()
    assert seen["escalation_level"] == 3 and seen["escalation_label"] == "报告市政府"
    assert "已在成员单位范围内通报" in client.get(f"/api/v1/matters/{police['id']}/sheet", headers=login("office")).text
    with runtime.db.read() as session:
        assert session.get(DecidedMatter, police["id"]).status == "assigned"


def test_a_progress_report_stops_the_matter_clock_until_it_is_sent_back(client, login, runtime, users, clock):
    distribute(runtime, to_approved_minutes(client, login, runtime, clock, matter_items(runtime))["id"])
    health = move_matter(client, login, "health", client.get("/api/v1/matters", headers=login("health")).json()[0],
                         "start")
    clock.set(at("2026-11-02T10:00"))
    reported = move_matter(client, login, "health", health, "report_progress", text="已检查定点医院12家")
    assert reported["deadlines"][0]["status"] == "paused" and reported["progress"] == "已检查定点医院12家"
    assert client.post(f"/api/v1/matters/{health['id']}/transitions", headers=login("health"),
                       json={"event": "verify", "expected_version": reported["version"]}).status_code == 403
    clock.set(at("2026-11-12T10:00"))  # ten days with the office are not counted against the unit
    back = move_matter(client, login, "office", reported, "send_back", text="请补充问题清单")
    assert back["status"] == "in_progress" and back["deadlines"][0]["status"] == "open"
    last_days = [date.fromisoformat(m["deadlines"][0]["last_day"]) for m in (health, back)]
    assert last_days[1] - last_days[0] >= timedelta(days=10)
