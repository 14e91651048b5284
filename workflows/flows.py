"""The flows that keep the clocks: the deadline sweep and the notification relay.

Every side effect is idempotent (unique step and outbox keys), so a flow run twice by the scheduler
does nothing twice. Retries live where the network is: in the relay's per-message back-off.
"""
from dataclasses import asdict

from prefect import flow, get_run_logger, task

from notifications.setup import channels_from_settings, relay_config
from services.escalation import sweep
from services.outbox import relay_once
from services.runtime import runtime_from_settings
from services.supervision_reports import check_quarter_plan
from settings import get_settings


@task(name="sweep-due-deadlines")
def sweep_due_deadlines(limit: int) -> dict:
    """Take every reminder/escalation step due now."""
    return asdict(sweep(runtime_from_settings(), limit=limit))


@task(name="check-quarter-plan")
def check_quarter_supervision_plan() -> bool:
    """Warn the supervision group (once a quarter) when no round is planned a month before its end."""
    return check_quarter_plan(runtime_from_settings())


@task(name="relay-outbox")
def relay_outbox() -> dict:
    """Deliver queued notifications through their channels."""
    settings = get_settings()
    return asdict(relay_once(runtime_from_settings(settings), channels_from_settings(settings), relay_config(settings)))


@flow(name="deadline-sweep", log_prints=False)
def deadline_sweep(limit: int = 1000) -> dict:
    """Remind before deadlines and escalate after them, up each kind's ladder."""
    report = sweep_due_deadlines(limit)
    report["quarter_warning"] = check_quarter_supervision_plan()
    get_run_logger().info("deadlines advanced: %s, steps: %s", report["deadlines"], len(report["steps"]))
    return report


@flow(name="notification-relay", log_prints=False)
def notification_relay() -> dict:
    """Send what the outbox holds: inbox, e-mail, webhook."""
    report = relay_outbox()
    get_run_logger().info("sent %s, retried %s, failed %s, uncertain %s", len(report["sent"]),
                          len(report["retried"]), len(report["failed"]), len(report["uncertain"]))
    return report
