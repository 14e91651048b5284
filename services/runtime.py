"""The runtime a front end (API, pages, CLI, flows) hands to use cases: database, policy, clock."""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from db.engine import Database
from domain.policy import Policy
from services import revisions  # noqa: F401 - its listeners move the shared revisions after commits
from services.context import Actor, Context


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Runtime:
    """Opens a Context per use case: a write one commits once at the end, a read one never."""

    db: Database
    policy: Policy
    clock: Callable[[], datetime] = field(default=system_clock)
    channels: frozenset[str] = frozenset({"inbox"})

    @contextmanager
    def write(self, actor: Actor) -> Iterator[Context]:
        with self.db.write() as session:
            yield Context(session=session, actor=actor, policy=self.policy, now=self.clock(), channels=self.channels)

    @contextmanager
    def read(self, actor: Actor) -> Iterator[Context]:
        with self.db.read() as session:
            yield Context(session=session, actor=actor, policy=self.policy, now=self.clock(), channels=self.channels)


def runtime_from_settings(settings=None, *, database: Database | None = None,
                          clock: Callable[[], datetime] = system_clock) -> Runtime:
    """The runtime the settings describe (tests may hand in their own database and clock)."""
    from db.engine import get_database
    from domain.policy import load_policy
    from settings import get_settings

    settings = settings or get_settings()
    channels = {"inbox"} | ({"email"} if settings.smtp_host else set()) | ({"webhook"} if settings.webhook_url else set())
    return Runtime(db=database or get_database(), policy=load_policy(settings.policy_file), clock=clock,
                   channels=frozenset(channels))
