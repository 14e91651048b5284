"""The locality policy: deadlines and limits read from a TOML file, never hard-coded."""
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from domain.calendar import Unit
from domain.enums import Role


class PolicyError(ValueError):
    """The policy file is missing a key or has a bad value."""


@dataclass(frozen=True)
class DeadlineRule:
    kind: str
    label: str
    amount: int
    unit: Unit
    real_name_only: bool = False
    # A window (e.g. the 3 days in which we may ask for reconsideration) lapses quietly when it passes:
    # the sweep closes it instead of escalating, since nobody has missed a duty.
    window: bool = False


@dataclass(frozen=True)
class Reminder:
    """Remind at a share of the period (fraction) or `before` units ahead of the deadline."""

    notify: tuple[str, ...]
    fraction: float | None = None
    before: int | None = None
    unit: Unit | None = None


@dataclass(frozen=True)
class LadderStep:
    """Escalate `after` units past the deadline to `notify`."""

    after: int
    unit: Unit
    notify: tuple[str, ...]
    label: str = ""    # what the step means, e.g. 约谈, 通报


@dataclass(frozen=True)
class EscalationRule:
    reminders: tuple[Reminder, ...]
    ladder: tuple[LadderStep, ...]


@dataclass(frozen=True)
class Policy:
    name: str
    label: str
    deadlines: dict[str, DeadlineRule]
    max_extensions: int
    identity_readers: frozenset[Role]
    identity_custodians: frozenset[Role]    # may release one tip's identity to a named user
    identity_releasable: frozenset[Role]    # who may be released to (e.g. investigators)
    escalations: dict[str, EscalationRule]
    document_prefix: str = "医保"
    copy_police_to_procuratorate: bool = True
    raw: dict = field(default_factory=dict, compare=False)  # whole document, for feature sections

    def rule(self, kind: str) -> DeadlineRule:
        """The deadline rule for `kind`; a missing one is a policy error, not a silent default."""
        try:
            return self.deadlines[kind]
        except KeyError:
            raise PolicyError(f"policy {self.name!r} has no deadline rule {kind!r}") from None


    def escalation(self, kind: str) -> EscalationRule:
        """The reminder/ladder rule for a deadline kind (rect_* share `rectification`), else the default."""
        family = "rectification" if kind.startswith("rect_") else kind
        return (self.escalations.get(kind) or self.escalations.get(family) or self.escalations.get("default")
                or EscalationRule((), ()))


def _notify(where: str, raw: dict) -> tuple[str, ...]:
    names = raw.get("notify")
    valid = {"handler", "liaison", "department_leader"} | {r.value for r in Role}
    if not names or any(n not in valid for n in names):
        raise PolicyError(f"{where}.notify must list some of {sorted(valid)}")
    return tuple(names)


def _reminder(where: str, raw: dict) -> Reminder:
    if "fraction" in raw:
        fraction = raw["fraction"]
        if not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
            raise PolicyError(f"{where}.fraction must lie between 0 and 1")
        return Reminder(_notify(where, raw), fraction=float(fraction))
    try:
        before, unit = int(raw["before"]), Unit(raw["unit"])
    except (KeyError, ValueError) as exc:
        raise PolicyError(f"{where}: needs fraction, or before and unit") from exc
    return Reminder(_notify(where, raw), before=before, unit=unit)


def _escalation(kind: str, raw: dict) -> EscalationRule:
    where = f"escalation.{kind}"
    reminders = tuple(_reminder(f"{where}.reminders[{i}]", r) for i, r in enumerate(raw.get("reminders", [])))
    try:
        ladder = tuple(LadderStep(int(s["after"]), Unit(s["unit"]), _notify(f"{where}.ladder[{i}]", s),
                                  str(s.get("label", ""))) for i, s in enumerate(raw.get("ladder", [])))
    except (KeyError, ValueError) as exc:
        raise PolicyError(f"{where}.ladder: every step needs after, unit and notify") from exc
    return EscalationRule(reminders, ladder)


def _deadline(kind: str, raw: dict) -> DeadlineRule:
    try:
        amount, unit = raw["amount"], Unit(raw["unit"])
    except (KeyError, ValueError) as exc:
        raise PolicyError(f"deadlines.{kind}: needs amount and a unit in {[u.value for u in Unit]}") from exc
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise PolicyError(f"deadlines.{kind}.amount must be a whole number >= 0")
    return DeadlineRule(kind, raw.get("label", kind), amount, unit, bool(raw.get("real_name_only", False)),
                        bool(raw.get("window", False)))


def _roles(section: dict, key: str) -> frozenset[Role]:
    try:
        return frozenset(Role(r) for r in section.get(key, []))
    except ValueError as exc:
        raise PolicyError(f"tips.{key}: {exc}") from exc


def parse_policy(raw: dict) -> Policy:
    """Validate a policy document."""
    deadlines = {kind: _deadline(kind, body) for kind, body in raw.get("deadlines", {}).items()}
    tips = raw.get("tips", {})
    readers, custodians, releasable = (_roles(tips, key) for key in (
        "identity_readers", "identity_custodians", "identity_releasable"))
    return Policy(
        name=raw.get("name", "unnamed"), label=raw.get("label", raw.get("name", "")),
        deadlines=deadlines, max_extensions=int(tips.get("max_extensions", 1)), identity_readers=readers,
        identity_custodians=custodians, identity_releasable=releasable,
        escalations={kind: _escalation(kind, body) for kind, body in raw.get("escalation", {}).items()},
        document_prefix=raw.get("documents", {}).get("prefix", "医保"),
        copy_police_to_procuratorate=bool(raw.get("referrals", {}).get("copy_police_to_procuratorate", True)),
        raw=raw,
    )


@lru_cache
def load_policy(path: Path) -> Policy:
    """Read and validate the policy file (cached per path)."""
    with open(path, "rb") as handle:
        return parse_policy(tomllib.load(handle))
