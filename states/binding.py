"""Machines built once per thread and pointed at one row at a time.

Building a python-statemachine instance resolves every callback of the class (about 0.6 ms here, more
than the rest of a transition's Python work), and the services need one per transition and one per
row shown. The machines are pure: their guards read a few fields of the row (`GUARD_FIELDS`). So each
thread keeps one machine per class and options, running on its own small model; `bound` copies the
row's state and those fields into that model before the machine is used.
"""
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

_local = threading.local()


@contextmanager
def bound(machine_class, row, *, state_field: str = "status", **options) -> Iterator:
    """A `machine_class` in `row`'s state, its guards reading copies of the row's `GUARD_FIELDS`. Sending
    changes the copy only: the caller writes `machine.current_state_value` back to the row."""
    idle = _local.__dict__.setdefault("idle", {})
    key = (machine_class, state_field, tuple(sorted(options.items())))
    machine = idle.pop(key, None) or machine_class(  # popped while in use: a nested `bound` builds its own
        SimpleNamespace(**{state_field: None}), state_field=state_field, **options)
    for name in machine_class.GUARD_FIELDS:
        setattr(machine.model, name, getattr(row, name))
    machine.current_state_value = getattr(row, state_field)
    yield machine  # an error in the block leaves the machine behind: it may have stopped mid-event
    if not machine.is_terminated:  # one that reached a final state takes no more events
        idle[key] = machine


# The events enabled in a state, by machine, options and guard fields: a pure answer (see above), so it is
# remembered. Rows whose guard fields cannot be hashed (lists) are answered by the machine each time.
REMEMBERED = 4096
_enabled: dict[tuple, tuple[str, ...]] = {}


def enabled_events(machine_class, row, *, state_field: str = "status", **options) -> list[str]:
    """The events `row` can take now (guards evaluated), from the thread's machine of `machine_class`."""
    key = (machine_class, getattr(row, state_field), tuple(sorted(options.items())),
           *(getattr(row, name) for name in machine_class.GUARD_FIELDS))
    try:
        return list(_enabled[key])
    except KeyError:
        pass
    except TypeError:  # unhashable guard field
        key = None
    with bound(machine_class, row, state_field=state_field, **options) as machine:
        found = tuple(event.id for event in machine.enabled_events())
    if key is not None:
        if len(_enabled) >= REMEMBERED:
            _enabled.clear()
        _enabled[key] = found
    return list(found)
