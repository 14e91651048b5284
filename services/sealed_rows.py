"""Every table holding sealed personal data, for key rotation."""
from sqlmodel import Session, select

from domain.models import ReporterIdentity
from domain.reward_models import ClaimantIdentity
from domain.sealing import reseal

SEALED_TABLES = [ReporterIdentity, ClaimantIdentity]


def reseal_all(session: Session) -> int:
    """Re-seal every sealed row with the current first key; returns how many rows."""
    count = 0
    for table in SEALED_TABLES:
        for row in session.exec(select(table)):
            row.sealed = reseal(row.sealed)
            count += 1
    return count
