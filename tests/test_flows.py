"""Real Prefect flow runs under one session-scoped test harness (a small set: each run costs seconds)."""
from sqlmodel import select

from domain.models import DeadlineStep, InboxMessage
from settings import get_settings
from tests.helpers import register
from workflows.deployments import deployments
from workflows.flows import deadline_sweep, notification_relay


def test_sweep_and_relay_flows_escalate_and_deliver_once(prefect_server, process_database, runtime, users):
    # The test clock stands on 2026-09-21, so by the real date this tip's filing deadline is long past.
    tip = register(runtime, users["desk"])
    first = deadline_sweep()
    assert first["deadlines"] == 1 and {s.split(":")[1] for s in first["steps"]} >= {"level-1", "level-2"}
    assert deadline_sweep()["steps"] == []  # a second run (as after a duplicate schedule) does nothing
    relayed = notification_relay()
    assert relayed["sent"] and relayed["failed"] == []
    assert notification_relay()["sent"] == []
    with process_database.read() as session:
        inbox = session.exec(select(InboxMessage)).all()
        levels = session.exec(select(DeadlineStep.code).where(DeadlineStep.level > 0)).all()
    assert sorted(levels) == ["level-1", "level-2"]
    about_tip = [message for message in inbox if message.subject_type == "tip"]
    assert about_tip and all(tip.number in message.title for message in about_tip)
    # By the real date the sweep may also warn that this quarter has no supervision round yet (in its last
    # month): then that warning is the only other message, once.
    others = [message for message in inbox if message.subject_type != "tip"]
    assert [m.subject_id for m in others] == ([0] if first["quarter_warning"] else [])
    assert all("督导" in m.title for m in others)


def test_deployments_run_on_shanghai_cron_schedules():
    built = {d.name: d for d in deployments(get_settings())}
    assert set(built) == {"deadline-sweep", "notification-relay", "minutes-distribution", "coordination-sweep"}
    for deployment in built.values():
        (schedule,) = deployment.schedules
        assert schedule.schedule.cron == "* * * * *" and schedule.schedule.timezone == "Asia/Shanghai"
