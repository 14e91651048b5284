"""What every use case needs: the session, who acts, the clock's reading, policy and calendar."""
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlmodel import Session

from domain.calendar import WorkCalendar
from domain.enums import Role
from domain.policy import Policy


def read_first(session: Session, statement, params: dict) -> list[tuple]:
    """A prepared read (db.prepared) a use case does before its first write. On SQLite, while the session's
    transaction has not begun, it runs outside one (on the write's own connection, or a pooled one for a
    read session), so the writer lock (taken at the transaction's first statement) is not held meanwhile.
    Elsewhere it runs in the transaction: PostgreSQL has no such lock, and a second connection per use case
    could exhaust its pool (threads > pool size)."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and not session.in_transaction():
        return statement.read(bind, params)
    return statement.run(session.connection(), params)


@dataclass(frozen=True)
class Actor:
    """The person (or the system) performing a use case."""

    id: int | None
    name: str
    role: Role | None
    department_id: int | None = None

    @property
    def is_system(self) -> bool:
        return self.id is None


SYSTEM = Actor(id=None, name="系统", role=None)


@dataclass
class Context:
    """One use case's surroundings. `now` comes from an injected clock so tests can move time."""

    session: Session
    actor: Actor
    policy: Policy
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    channels: frozenset[str] = frozenset({"inbox"})  # delivery channels configured for this system
    _calendar: WorkCalendar | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Context.now must be aware")

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar with the loaded years, read on first use only."""
        if self._calendar is None:
            from services.calendar import get_calendar  # services.calendar builds on this module

            with self.session.no_autoflush:  # holiday years are loaded by their own use case, which flushes
                self._calendar = get_calendar(self.session)
        return self._calendar
