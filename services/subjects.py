"""What notifications, the sweep and the overdue view need to know about a deadline's subject.

Each subject type names its describer here (one place); modules are imported on first use.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module

from sqlmodel import Session, select

from domain.models import Tip
from states.tip import STATE_LABELS


@dataclass(frozen=True)
class SubjectInfo:
    number: str
    stage: str                 # the Chinese stage label
    handler_id: int | None     # who "handler" in a ladder means
    department_id: int | None  # the outside department involved ("liaison" in a ladder); None: the office
    closed: bool = False


def describe_tip(session: Session, subject_id: int) -> SubjectInfo | None:
    tip = session.get(Tip, subject_id)
    if tip is None:
        return None
    return SubjectInfo(tip.number, STATE_LABELS[tip.status], tip.handler_id or tip.registered_by, None,
                       closed=tip.status == "closed")


DESCRIBERS = {
    "tip": "services.subjects:describe_tip",
    "referral": "services.referrals:describe_referral",
    "reward": "services.rewards:describe_reward",
    "finding": "services.supervision:describe_finding",
    "meeting": "services.meetings:describe_meeting",
    "minutes_receipt": "services.minutes:describe_receipt",
    "decided_matter": "services.minutes:describe_matter",
    "info_report": "services.info_reports:describe_info_report",
}


# Each subject type's table, for loading many subjects at once (prefetch).
SUBJECT_MODELS = {
    "tip": "domain.models:Tip",
    "referral": "domain.referral_models:Referral",
    "reward": "domain.reward_models:Reward",
    "finding": "domain.coordination_models:Finding",
    "meeting": "domain.coordination_models:Meeting",
    "minutes_receipt": "domain.coordination_models:MinutesReceipt",
    "decided_matter": "domain.coordination_models:DecidedMatter",
    "info_report": "domain.coordination_models:InfoReport",
}
PREFETCH_CHUNK = 500  # ids per IN list, well under SQLite's limit on bound parameters


def _resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def describe(session: Session, subject_type: str, subject_id: int) -> SubjectInfo | None:
    """The subject's number, stage and people, or None if it no longer exists."""
    path = DESCRIBERS.get(subject_type)
    return _resolve(path)(session, subject_id) if path else None


def prefetch(session: Session, subjects: Iterable[tuple[str, int]]) -> list:
    """Load many (subject_type, subject_id) subjects with one query per type and chunk, so that describe()
    finds them in the session instead of querying once per row. The session holds loaded rows only weakly:
    keep the returned list while describing."""
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for subject_type, subject_id in subjects:
        ids_by_type[subject_type].add(subject_id)
    loaded = []
    for subject_type, ids in ids_by_type.items():
        if subject_type not in SUBJECT_MODELS:
            continue
        model, ordered = _resolve(SUBJECT_MODELS[subject_type]), sorted(ids)
        for start in range(0, len(ordered), PREFETCH_CHUNK):
            loaded += session.exec(select(model).where(model.id.in_(ordered[start:start + PREFETCH_CHUNK])))
    return loaded


# Actions the sweep takes (besides notifying) when a deadline of this kind passes its first ladder step,
# e.g. a reward claim window lapsing. Each takes (ctx, deadline).
ON_EXPIRY = {
    "reward_claim": "services.rewards:lapse_on_expiry",
}


def expiry_action(kind: str):
    path = ON_EXPIRY.get(kind)
    return _resolve(path) if path else None
