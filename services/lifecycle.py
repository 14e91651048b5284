"""Pieces every lifecycle use case shares: the version check, the allowed-now check and the move, clock
effects."""
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from domain.enums import DeadlineStatus
from services.context import Context
from services.deadlines import close_deadlines, start_deadlines
from services.errors import StaleVersion, TransitionRefused
from states.binding import bound, enabled_events


def check_version(row, expected: int) -> None:
    """Optimistic concurrency: refuse when the caller saw an older version."""
    if row.version != expected:
        raise StaleVersion(row.version)


@contextmanager
def moving(row, machine_class, event: str, *, state_labels: dict, event_labels: dict, **options) -> Iterator:
    """Take `event` on `row` (its `status`): refused unless its machine allows the event now, naming the events
    it allows. The block checks what else the event needs (fields, turns, budgets) and may refuse too; then
    the row takes the event's state. Yields the machine, a thread's machine bound to a copy of the row."""
    allowed = enabled_events(machine_class, row, **options)
    ensure_allowed(allowed, row.status, event, state_labels=state_labels, event_labels=event_labels)
    with bound(machine_class, row, **options) as machine:
        yield machine
        machine.send(event)
        row.status = machine.current_state_value


def move(row, machine_class, event: str, **labels_and_options) -> None:
    """`moving` for an event that needs nothing else checked."""
    with moving(row, machine_class, event, **labels_and_options):
        pass


def ensure_allowed(allowed: list[str], state: str, event: str, *, state_labels: dict, event_labels: dict) -> None:
    """Refuse an event the machine cannot take now (not in `allowed`), naming the ones it can."""
    if event not in allowed:
        names = "、".join(event_labels[e] for e in allowed) or "无"
        raise TransitionRefused(event, state, allowed,
                                f"当前状态“{state_labels[state]}”不能{event_labels[event]}；可执行：{names}")


def apply_clocks(
    ctx: Context, *, subject_type: str, subject_id: int, event: str, starts: dict[str, tuple[str, ...]],
    stops: dict[str, set[str]], final: bool = False, skip: Callable[[str], bool] = lambda kind: False,
) -> None:
    """Stop the clocks `event` stops and start those it starts; a final state cancels whatever is open."""
    where = {"subject_type": subject_type, "subject_id": subject_id}
    if final:
        close_deadlines(ctx, **where, status=DeadlineStatus.CANCELLED)
        return
    close_deadlines(ctx, **where, kinds=stops.get(event, set()))
    start_deadlines(ctx, **where, kinds=[kind for kind in starts.get(event, ()) if not skip(kind)])
