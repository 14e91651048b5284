"""Reward schemes (举报奖励标准) and the office's reward settings. Pure, Decimal only: never float.

A scheme file in policy/rewards/ names the input its rates depend on (`choose_by`: level, target type,
violation category, or none) and one option per value, each with amount bands on the 案值 (the fund loss
to recover). `whole` bands apply one band's rate to the whole 案值; `segmented` bands (分段累计) apply each
band's rate to the part of the 案值 inside it. Then the insider uplift, rounding to the yuan, floor, cap.
"""
import re
import tomllib
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from domain.policy import PolicyError

SCHEME_DIR = Path(__file__).resolve().parents[1] / "policy" / "rewards"
HUNDRED, ZERO, YUAN, CENTS = Decimal(100), Decimal(0), Decimal(1), Decimal("0.01")
# 四舍五入 (half up) is what the shipped schemes use; a locality may say otherwise.
ROUNDINGS = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}
CHOOSE_BY = {"none": "", "level": "奖励等级", "target": "被举报对象类型", "category": "违法类型"}
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


@dataclass(frozen=True)
class Band:
    upto: Decimal | None   # inclusive upper bound of the 案值 in this band; None: unbounded
    rate: Decimal          # percent
    plus: Decimal = ZERO   # whole mode: fixed yuan added when the 案值 falls in this band


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    mode: str              # "whole" | "segmented"
    bands: tuple[Band, ...]
    floor: Decimal
    cap: Decimal


@dataclass(frozen=True)
class Scheme:
    name: str
    label: str
    choose_by: str
    options: dict[str, Option]
    loss_required: bool
    no_loss_fixed_amount: Decimal | None
    uplift_percent: Decimal   # insider: percent of the amount added
    uplift_points: Decimal    # insider: percentage points added to every rate
    rounding: str


@dataclass(frozen=True)
class Quote:
    """The computed reward and how it was reached (lines for the approval form)."""

    amount: Decimal
    raw: Decimal
    floor: Decimal
    cap: Decimal
    payable: bool
    lines: tuple[str, ...]


def money(where: str, value, *, allow_none: bool = False) -> Decimal | None:
    """A non-negative Decimal from a TOML string or integer; floats are refused (write "2.5")."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PolicyError(f"{where}: write amounts and rates as strings or integers, e.g. \"2.5\"")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PolicyError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise PolicyError(f"{where}: must be a number >= 0")
    return number


def _band(where: str, raw: dict, mode: str) -> Band:
    band = Band(money(f"{where}.upto", raw.get("upto"), allow_none=True), money(f"{where}.rate", raw.get("rate")),
                money(f"{where}.plus", raw.get("plus", 0)))
    if mode == "segmented" and band.plus:
        raise PolicyError(f"{where}.plus: segmented bands add no fixed sum")
    return band


def _check_bands(where: str, bands: tuple[Band, ...], mode: str) -> None:
    """Bounds rise and only the last band is open; whole bands never pay less for a larger 案值."""
    if not bands or bands[-1].upto is not None or any(b.upto is None for b in bands[:-1]):
        raise PolicyError(f"{where}.bands: every band but the last needs `upto`; the last must not have one")
    bounds = [b.upto for b in bands[:-1]]
    if bounds != sorted(set(bounds)):
        raise PolicyError(f"{where}.bands: `upto` bounds must rise")
    pairs = zip(bands, bands[1:])
    if mode == "whole" and any(b.rate < a.rate or b.plus < a.plus for a, b in pairs):
        raise PolicyError(f"{where}.bands: whole-amount bands with falling rates pay less for a larger loss; "
                          "use mode = \"segmented\" (分段累计)")


def _option(key: str, raw: dict, scheme: dict) -> Option:
    where = f"options.{key}"
    mode = raw.get("mode", "whole")
    if mode not in ("whole", "segmented"):
        raise PolicyError(f"{where}.mode must be \"whole\" or \"segmented\"")
    bands = tuple(_band(f"{where}.bands[{i}]", b, mode) for i, b in enumerate(raw.get("bands", [])))
    _check_bands(where, bands, mode)
    floor = money(f"{where}.floor", raw.get("floor", scheme.get("floor")))
    cap = money(f"{where}.cap", raw.get("cap", scheme.get("cap")))
    if floor > cap:
        raise PolicyError(f"{where}: floor exceeds cap")
    return Option(key, raw.get("label", key), mode, bands, floor, cap)


def parse_scheme(raw: dict) -> Scheme:
    """Validate a scheme document (floor and cap must be written in the file: no limit lives in code)."""
    for key in ("name", "floor", "cap", "options"):
        if key not in raw:
            raise PolicyError(f"reward scheme: missing {key!r}")
    choose_by = raw.get("choose_by", "none")
    if choose_by not in CHOOSE_BY:
        raise PolicyError(f"choose_by must be one of {list(CHOOSE_BY)}")
    options = {str(k): _option(str(k), body, raw) for k, body in raw["options"].items()}
    if not options or (choose_by == "none" and len(options) != 1):
        raise PolicyError("options: a scheme chosen by nothing has exactly one option")
    uplift = raw.get("insider_uplift", {})
    fixed = money("no_loss_fixed_amount", raw.get("no_loss_fixed_amount"), allow_none=True)
    if fixed is not None and fixed > min(o.floor for o in options.values()):
        raise PolicyError("no_loss_fixed_amount must not exceed any floor (a loss never earns less than none)")
    if raw.get("rounding", "half_up") not in ROUNDINGS:
        raise PolicyError(f"rounding must be one of {list(ROUNDINGS)}")
    return Scheme(
        name=raw["name"], label=raw.get("label", raw["name"]), choose_by=choose_by, options=options,
        loss_required=bool(raw.get("loss_required", True)), no_loss_fixed_amount=fixed,
        uplift_percent=money("insider_uplift.percent_of_amount", uplift.get("percent_of_amount", 0)),
        uplift_points=money("insider_uplift.points", uplift.get("points", 0)),
        rounding=raw.get("rounding", "half_up"),
    )


@lru_cache
def load_scheme(name: str, directory: Path = SCHEME_DIR) -> Scheme:
    """The named scheme from policy/rewards/<name>.toml (cached)."""
    if not _NAME.fullmatch(name):
        raise PolicyError(f"bad reward scheme name {name!r}")
    try:
        with open(directory / f"{name}.toml", "rb") as handle:
            scheme = parse_scheme(tomllib.load(handle))
    except FileNotFoundError:
        raise PolicyError(f"no reward scheme file {name}.toml in {directory}") from None
    if scheme.name != name:
        raise PolicyError(f"{name}.toml names itself {scheme.name!r}")
    return scheme


def shipped_schemes(directory: Path = SCHEME_DIR) -> list[str]:
    """Names of the scheme files in the directory."""
    return sorted(path.stem for path in directory.glob("*.toml"))


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _base(option: Option, basis: Decimal, points: Decimal) -> tuple[Decimal, list[str]]:
    """The 案值 times the rates (before uplift and limits), with a line per band used."""
    total, lines, lower = ZERO, [], ZERO
    for band in option.bands:
        rate = band.rate + points
        if option.mode == "whole":
            if band.upto is None or basis <= band.upto:
                part = basis * rate / HUNDRED + band.plus
                extra = f" + {band.plus}" if band.plus else ""
                return part, [f"{basis} × {_pct(rate)}{extra} = {part}"]
            continue
        top = basis if band.upto is None else min(basis, band.upto)
        if top > lower:
            part = (top - lower) * rate / HUNDRED
            total += part
            lines.append(f"({top} − {lower}) × {_pct(rate)} = {part}")
        lower = band.upto if band.upto is not None else lower
    return total, lines


def compute(scheme: Scheme, option_key: str, basis: Decimal, *, insider: bool = False) -> Quote:
    """The reward for a 案值 under the scheme's option: uplift, round to the yuan, then floor and cap."""
    option = scheme.options[option_key]
    if not isinstance(basis, Decimal) or basis < 0:
        raise ValueError("basis must be a Decimal >= 0")
    if basis == 0 and scheme.loss_required:
        fixed = scheme.no_loss_fixed_amount
        if fixed is None:
            return Quote(ZERO, ZERO, option.floor, option.cap, False, ("未造成基金损失，按规定不予奖励",))
        return Quote(fixed.quantize(CENTS), fixed, option.floor, option.cap, True,
                     (f"未造成基金损失，按规定给予定额奖励 {fixed} 元",))
    points = scheme.uplift_points if insider else ZERO
    raw, lines = _base(option, basis, points)
    if insider and scheme.uplift_percent:
        lifted = raw * (HUNDRED + scheme.uplift_percent) / HUNDRED
        lines.append(f"内部人员上浮 {_pct(scheme.uplift_percent)}：{raw} × {_pct(HUNDRED + scheme.uplift_percent)} = {lifted}")
        raw = lifted
    rounded = raw.quantize(YUAN, rounding=ROUNDINGS[scheme.rounding])
    amount = min(option.cap, max(option.floor, rounded))
    lines.append(f"取整到元 {rounded}；下限 {option.floor}、上限 {option.cap}：奖励 {amount} 元")
    return Quote(amount.quantize(CENTS), raw, option.floor, option.cap, True, tuple(lines))


DUPLICATE_POLICIES = ("FIRST_ONLY", "FIRST_PLUS_DISCRETIONARY")
REPORTER_KINDS = ("natural_person", "organisation")


@dataclass(frozen=True)
class RewardSettings:
    """The office's `[rewards]` section: which scheme, who may be rewarded, who approves, the budget."""

    scheme: Scheme
    claim_deadline: str                 # the deadline kind of the claim window ([deadlines.<kind>])
    duplicate_policy: str
    eligible_reporters: frozenset[str]
    approval_chain: tuple[str, ...]     # role values, in order
    identity_readers: frozenset[str]    # roles that may read a claimant's sealed identity
    annual_budget: Decimal              # per office and year, unless one is set for that year
    claim_place: str
    payment_method: str


def _roles(where: str, values, valid: set[str]) -> tuple[str, ...]:
    if not values or any(v not in valid for v in values):
        raise PolicyError(f"rewards.{where} must list some of {sorted(valid)}")
    return tuple(values)


def reward_settings(raw_policy: dict, roles: set[str], approvers: set[str]) -> RewardSettings:
    """Validate the policy's `[rewards]` section against the valid roles and those that may approve."""
    raw = raw_policy.get("rewards")
    if raw is None:
        raise PolicyError("policy has no [rewards] section")
    duplicate = raw.get("duplicate_policy", "")
    if duplicate not in DUPLICATE_POLICIES:
        raise PolicyError(f"rewards.duplicate_policy must be one of {list(DUPLICATE_POLICIES)}")
    kinds = frozenset(_roles("eligible_reporters", raw.get("eligible_reporters"), set(REPORTER_KINDS)))
    claim = raw.get("claim_deadline", "")
    if claim not in raw_policy.get("deadlines", {}):
        raise PolicyError(f"rewards.claim_deadline {claim!r} names no [deadlines.*] rule")
    return RewardSettings(
        scheme=load_scheme(raw.get("scheme", "")), claim_deadline=claim, duplicate_policy=duplicate,
        eligible_reporters=kinds, approval_chain=_roles("approval_chain", raw.get("approval_chain"), approvers),
        identity_readers=frozenset(_roles("identity_readers", raw.get("identity_readers"), roles)),
        annual_budget=money("rewards.annual_budget", raw.get("annual_budget")),
        claim_place=str(raw.get("claim_place", "")), payment_method=str(raw.get("payment_method", "银行转账")),
    )
