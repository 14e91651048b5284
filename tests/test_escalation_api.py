"""Leaders' overdue view, the inbox, and pausing a clock, through the API."""
from sqlmodel import select

from domain.models import Deadline, DeadlineStep
from services.escalation import sweep
from services.outbox import relay_once
from tests.helpers import register
from tests.test_sweep import at


def test_overdue_view_lists_by_department_and_level_oldest_first(client, login, runtime, users, clock):
    older = register(runtime, users["desk"])
    clock.advance(days=3)
    newer = register(runtime, users["desk"])
    clock.set(at("2026-10-26"))
    sweep(runtime)
    response = client.get("/api/v1/escalations", headers=login("head"))
    assert response.status_code == 200, response.text
    items = response.json()
    assert [i["number"] for i in items] == [older.number, newer.number]
    assert items[0]["level"] == 2 and items[0]["department"] == "市医疗保障局"
    assert items[0]["red_since"].startswith("2026-10-19T16:00") and items[0]["days_overdue"] == 5
    assert [i["number"] for i in client.get("/api/v1/escalations?level=1", headers=login("head")).json()] == [newer.number]
    assert client.get("/api/v1/escalations", headers=login("investigator")).status_code == 403


def test_inbox_shows_unread_count_and_marks_read(client, login, runtime, users, clock):
    register(runtime, users["desk"])
    clock.set(at("2026-10-20"))
    sweep(runtime)
    relay_once(runtime, {})
    page = client.get("/api/v1/inbox", headers=login("chief")).json()
    assert page["unread"] == 1 and "超期督办" in page["items"][0]["title"]
    message_id = page["items"][0]["id"]
    assert client.post(f"/api/v1/inbox/{message_id}/read", headers=login("head")).status_code == 404  # not theirs
    assert client.post(f"/api/v1/inbox/{message_id}/read", headers=login("chief")).status_code == 200
    assert client.get("/api/v1/inbox", headers=login("chief")).json()["unread"] == 0


def test_a_paused_clock_is_not_swept_and_resumes_with_what_was_left(client, login, runtime, users, clock):
    tip = register(runtime, users["desk"])
    with runtime.db.read() as session:
        deadline = session.exec(select(Deadline).where(Deadline.subject_id == tip.id)).one()
    clock.set(at("2026-10-12", 10))  # Mon: Oct 13..19 leave 5 working days
    paused = client.post(f"/api/v1/deadlines/{deadline.id}/pause", json={"reason": "等待司法鉴定"}, headers=login("chief"))
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert client.post(f"/api/v1/deadlines/{deadline.id}/pause", json={"reason": "再次"},
                       headers=login("chief")).status_code == 409
    assert client.post(f"/api/v1/deadlines/{deadline.id}/resume", json={"reason": "x"},
                       headers=login("desk")).status_code == 403
    clock.set(at("2026-11-02", 10))  # Monday, three weeks later
    assert sweep(runtime).steps == []
    resumed = client.post(f"/api/v1/deadlines/{deadline.id}/resume", json={"reason": "鉴定完成"}, headers=login("head"))
    assert resumed.status_code == 200
    assert resumed.json()["last_day"] == "2026-11-09"  # 5 working days after Mon Nov 2
    with runtime.db.read() as session:
        assert session.exec(select(DeadlineStep).where(DeadlineStep.deadline_id == deadline.id)).all() == []
    history = client.get(f"/api/v1/tips/{tip.id}/history", headers=login("chief")).json()
    assert [h["action"] for h in history][-2:] == ["deadline_paused", "deadline_resumed"]


def test_failed_messages_are_listed_for_admins_and_can_be_requeued(client, login, runtime, users, clock):
    from notifications.channels import RecordingChannel
    from services.outbox import RelayConfig
    from services.runtime import Runtime

    hooked = Runtime(db=runtime.db, policy=runtime.policy, clock=clock, channels=frozenset({"inbox", "webhook"}))
    register(hooked, users["desk"])
    clock.set(at("2026-10-20"))
    sweep(hooked)
    relay_once(hooked, {"webhook": RecordingChannel("webhook", fail_times=5)}, RelayConfig(max_attempts=1))
    failed = client.get("/api/v1/outbox?status=failed", headers=login("admin")).json()
    assert [m["channel"] for m in failed] == ["webhook"] and "simulated failure" in failed[0]["last_error"]
    assert client.get("/api/v1/outbox", headers=login("head")).status_code == 403
    requeued = client.post(f"/api/v1/outbox/{failed[0]['id']}/requeue", headers=login("admin"))
    assert requeued.status_code == 200 and requeued.json()["status"] == "pending"
    again = client.post(f"/api/v1/outbox/{failed[0]['id']}/requeue", headers=login("admin"))
    assert again.status_code == 409
    healthy = RecordingChannel("webhook")
    relay_once(hooked, {"webhook": healthy})
    assert len(healthy.sent) == 1
