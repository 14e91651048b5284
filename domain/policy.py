"""The locality policy: deadlines and limits read from a TOML file, never hard-coded."""
import tomllib
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Policy:
    name: str
    label: str
    deadlines: dict[str, DeadlineRule]
    max_extensions: int
    identity_readers: frozenset[Role]

    def rule(self, kind: str) -> DeadlineRule:
        """The deadline rule for `kind`; a missing one is a policy error, not a silent default."""
        try:
            return self.deadlines[kind]
        except KeyError:
            raise PolicyError(f"policy {self.name!r} has no deadline rule {kind!r}") from None


def _deadline(kind: str, raw: dict) -> DeadlineRule:
    try:
        amount, unit = raw["amount"], Unit(raw["unit"])
    except (KeyError, ValueError) as exc:
        raise PolicyError(f"deadlines.{kind}: needs amount and a unit in {[u.value for u in Unit]}") from exc
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise PolicyError(f"deadlines.{kind}.amount must be a whole number >= 0")
    return DeadlineRule(kind, raw.get("label", kind), amount, unit, bool(raw.get("real_name_only", False)))


def parse_policy(raw: dict) -> Policy:
    """Validate a policy document."""
    deadlines = {kind: _deadline(kind, body) for kind, body in raw.get("deadlines", {}).items()}
    tips = raw.get("tips", {})
    try:
        readers = frozenset(Role(r) for r in tips.get("identity_readers", []))
    except ValueError as exc:
        raise PolicyError(f"tips.identity_readers: {exc}") from exc
    return Policy(
        name=raw.get("name", "unnamed"), label=raw.get("label", raw.get("name", "")),
        deadlines=deadlines, max_extensions=int(tips.get("max_extensions", 1)), identity_readers=readers,
    )


@lru_cache
def load_policy(path: Path) -> Policy:
    """Read and validate the policy file (cached per path)."""
    with open(path, "rb") as handle:
        return parse_policy(tomllib.load(handle))
