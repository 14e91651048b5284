"""Message templates keyed by kind; StrictUndefined, so a missing value fails loudly at enqueue time."""
from enum import StrEnum
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=False,
                   keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)


class MessageKind(StrEnum):
    DEADLINE_REMINDER = "deadline_reminder"
    DEADLINE_OVERDUE = "deadline_overdue"
    REFERRAL_RECEIVED = "referral_received"
    REFERRAL_UPDATED = "referral_updated"
    FINDING_ISSUED = "finding_issued"
    QUARTER_UNPLANNED = "quarter_unplanned"
    MEETING_DUE = "meeting_due"
    MEETING_TOPICS = "meeting_topics"
    MEETING_APPROVAL = "meeting_approval"
    MEETING_NOTICE = "meeting_notice"
    MEETING_MINUTES = "meeting_minutes"
    MATTER_ASSIGNED = "matter_assigned"
    MATTER_NAMED = "matter_named"
    INFO_REPORT_RECEIVED = "info_report_received"
    INFO_REPORT_MAJOR = "info_report_major"


def render(kind: MessageKind, **context) -> tuple[str, str]:
    """(title, body) of a message: the template's first line is the title."""
    text = _env.get_template(f"{kind.value}.txt.j2").render(**context).strip()
    title, _, body = text.partition("\n")
    return title.strip(), body.strip()
