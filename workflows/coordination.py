"""Coordination flows: distributing approved joint-meeting minutes, and the coordination sweep (the next
meeting when due, this period's information reports, circulating badly overdue decided matters).

Each step runs in its own transaction and is idempotent (a receipt per unit, unique message keys, one
open meeting, one report row per reporter and period), so a run repeated or retried sends nothing twice.
"""
from prefect import flow, get_run_logger, task

from services.info_reports import generate_due_reports
from services.meetings import open_due_meeting
from services.minutes import approved_meetings, circulate_overdue, issue, recipients_of, send_to_unit
from services.runtime import runtime_from_settings


@task(name="approved-minutes")
def find_approved_minutes(meeting_id: int | None) -> list[int]:
    """Meetings whose approved minutes wait to be issued (or just the one asked for)."""
    approved = approved_meetings(runtime_from_settings())
    return [m for m in approved if meeting_id is None or m == meeting_id]


@task(name="send-minutes-to-unit", retries=2, retry_delay_seconds=5)
def send_minutes_to_unit(meeting_id: int, department_id: int) -> bool:
    """One member unit: receipt, inbox + e-mail with the minutes, and its read-confirmation clock."""
    return send_to_unit(runtime_from_settings(), meeting_id, department_id)


@task(name="issue-minutes")
def issue_minutes(meeting_id: int) -> bool:
    """Start the decided matters' clocks and mark the minutes issued."""
    return issue(runtime_from_settings(), meeting_id)


@task(name="member-units")
def member_units() -> list[int]:
    return recipients_of(runtime_from_settings())


@flow(name="minutes-distribution", log_prints=False)
def minutes_distribution(meeting_id: int | None = None) -> dict:
    """Distribute approved minutes to every member unit, then mark them issued."""
    report = {"meetings": [], "sent": 0, "issued": []}
    approved = find_approved_minutes(meeting_id)
    units = member_units() if approved else []
    for found in approved:
        report["sent"] += sum(1 for unit in units if send_minutes_to_unit(found, unit))
        if issue_minutes(found):
            report["issued"].append(found)
        report["meetings"].append(found)
    get_run_logger().info("minutes sent to %s units, issued: %s", report["sent"], report["issued"])
    return report


@task(name="open-due-meeting")
def open_meeting_when_due() -> int | None:
    return open_due_meeting(runtime_from_settings())


@task(name="generate-info-reports")
def generate_info_reports() -> int:
    return generate_due_reports(runtime_from_settings())


@task(name="circulate-overdue-matters")
def circulate_overdue_matters() -> list[int]:
    return circulate_overdue(runtime_from_settings())


@flow(name="coordination-sweep", log_prints=False)
def coordination_sweep() -> dict:
    """Open the next joint meeting when due, generate due information reports, circulate overdue matters."""
    report = {"opened_meeting": open_meeting_when_due(), "reports_created": generate_info_reports(),
              "matters_circulated": circulate_overdue_matters()}
    get_run_logger().info("coordination sweep: %s", report)
    return report
