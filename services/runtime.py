"""The runtime a front end (API, pages, CLI, flows) hands to use cases: database, policy, clock."""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from db.engine import Database
from domain.policy import Policy
from services.calendar import get_calendar
from services.context import Actor, Context


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Runtime:
    """Opens a Context per use case: a write one commits once at the end, a read one never."""

    db: Database
    policy: Policy
    clock: Callable[[], datetime] = field(default=system_clock)

    @contextmanager
    def write(self, actor: Actor) -> Iterator[Context]:
        with self.db.write() as session:
            yield Context(session=session, actor=actor, policy=self.policy,
                          calendar=get_calendar(session), now=self.clock())

    @contextmanager
    def read(self, actor: Actor) -> Iterator[Context]:
        with self.db.read() as session:
            yield Context(session=session, actor=actor, policy=self.policy,
                          calendar=get_calendar(session), now=self.clock())
