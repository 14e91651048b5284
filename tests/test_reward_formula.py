"""The reward formula (domain.reward_policy): properties for every shipped scheme, hand-computed tables,
and the scheme file checks. Pure: no database."""
import copy
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from domain.enums import Role
from domain.policy import PolicyError, load_policy
from domain.reward_policy import compute, load_scheme, parse_scheme, reward_settings, shipped_schemes
from settings import Settings

D = Decimal
SCHEMES = shipped_schemes()
CASES = [(name, key) for name in SCHEMES for key in load_scheme(name).options]
LOSS = st.decimals(min_value=D("0.01"), max_value=D("1e10"), places=2, allow_nan=False, allow_infinity=False)


def amount(name: str, key: str, basis: str, insider: bool = False) -> Decimal:
    return compute(load_scheme(name), key, D(basis), insider=insider).amount


def test_the_required_schemes_ship():
    assert {"national", "guangdong", "beijing"} <= set(SCHEMES)


@pytest.mark.parametrize(("name", "key"), CASES)
@settings(max_examples=150, deadline=None)
@given(basis=LOSS, insider=st.booleans())
def test_every_amount_lies_within_floor_and_cap_in_whole_yuan(name, key, basis, insider):
    option = load_scheme(name).options[key]
    quote = compute(load_scheme(name), key, basis, insider=insider)
    assert quote.payable
    assert option.floor <= quote.amount <= option.cap
    assert isinstance(quote.amount, Decimal) and quote.amount == quote.amount.to_integral_value()


@pytest.mark.parametrize(("name", "key"), CASES)
@settings(max_examples=150, deadline=None)
@given(first=LOSS | st.just(D("0")), second=LOSS | st.just(D("0")), insider=st.booleans())
def test_amount_never_falls_as_the_loss_grows(name, key, first, second, insider):
    low, high = sorted((first, second))
    scheme = load_scheme(name)
    assert compute(scheme, key, low, insider=insider).amount <= compute(scheme, key, high, insider=insider).amount


@pytest.mark.parametrize("name", [n for n in SCHEMES if load_scheme(n).choose_by == "level"])
@settings(max_examples=100, deadline=None)
@given(basis=LOSS, insider=st.booleans())
def test_a_higher_level_never_pays_less(name, basis, insider):
    scheme = load_scheme(name)
    amounts = [compute(scheme, key, basis, insider=insider).amount for key in sorted(scheme.options)]
    assert amounts == sorted(amounts, reverse=True)  # level 1 >= level 2 >= level 3


@pytest.mark.parametrize(("name", "key"), CASES)
@settings(max_examples=60, deadline=None)
@given(basis=LOSS)
def test_the_insider_uplift_never_lowers_the_amount(name, key, basis):
    scheme = load_scheme(name)
    assert compute(scheme, key, basis, insider=True).amount >= compute(scheme, key, basis).amount


TABLE = [
    # national: 2% of the 案值, floor 200, cap 200,000, rounded half up to the yuan.
    ("national", "default", "5000", False, "200"),        # 5,000 x 2% = 100 -> floor 200
    ("national", "default", "12325", False, "247"),       # 12,325 x 2% = 246.5 -> half up 247
    ("national", "default", "12345.67", False, "247"),    # 246.9134 -> 247
    ("national", "default", "50000", False, "1000"),      # 50,000 x 2% = 1,000
    ("national", "default", "10000000", False, "200000"), # 200,000 exactly the cap
    ("national", "default", "12000000", False, "200000"), # 240,000 -> cap 200,000
    # guangdong: L1 3% floor 400, L2 2% floor 300, L3 1% floor 200; insiders +20% of the amount.
    ("guangdong", "1", "10000", False, "400"),            # 300 -> floor 400
    ("guangdong", "1", "100000", False, "3000"),          # 100,000 x 3%
    ("guangdong", "1", "100000", True, "3600"),           # 3,000 x 120%
    ("guangdong", "2", "100000", False, "2000"),          # 100,000 x 2%
    ("guangdong", "3", "100000", False, "1000"),          # 100,000 x 1%
    ("guangdong", "3", "15050", False, "200"),            # 150.5 -> 151 -> floor 200
    ("guangdong", "3", "25050", False, "251"),            # 250.5 -> half up 251
    ("guangdong", "1", "6000000", False, "180000"),       # 6,000,000 x 3% under the cap
    ("guangdong", "1", "6000000", True, "200000"),        # 180,000 x 120% = 216,000 -> cap
    # beijing: institutions <=500k 2% / >500k 4% of the whole; individuals 10%, +500 above 10k; floor 500.
    ("beijing", "institution", "500000", False, "10000"),     # 500,000 x 2%
    ("beijing", "institution", "500000.01", False, "20000"),  # 500,000.01 x 4% = 20,000.0004 -> 20,000
    ("beijing", "institution", "20000", False, "500"),        # 400 -> floor 500
    ("beijing", "institution", "6000000", False, "200000"),   # 240,000 -> cap
    ("beijing", "individual", "3000", False, "500"),          # 300 -> floor 500
    ("beijing", "individual", "10000", False, "1000"),        # 10,000 x 10%
    ("beijing", "individual", "10000.01", False, "1500"),     # 1,000.001 + 500 -> 1,500
    ("beijing", "individual", "20000", False, "2500"),        # 2,000 + 500
    # shaanxi: general 3%, fraud 5%; floor 500.
    ("shaanxi", "general", "100000", False, "3000"),
    ("shaanxi", "fraud", "100000", False, "5000"),
    ("shaanxi", "fraud", "8000", False, "500"),               # 400 -> floor 500
    # qingyuan: L1 10% floor 500, L2 6% floor 400, L3 2% floor 300; insiders +5 points; no loss: 200.
    ("qingyuan", "1", "3000", False, "500"),                  # 300 -> floor 500
    ("qingyuan", "1", "3000", True, "500"),                   # 3,000 x 15% = 450 -> floor 500
    ("qingyuan", "2", "10000", True, "1100"),                 # 10,000 x 11%
    ("qingyuan", "3", "10000", False, "300"),                 # 200 -> floor 300
    ("qingyuan", "2", "0", False, "200"),                     # no loss: the fixed sum
    ("qingyuan", "1", "2500000", False, "200000"),            # 250,000 -> cap
    # yangzhou, segmented: 5% up to 50k, 4% from 50k to 150k, 3% above; cap 100,000; insiders +1 point.
    ("yangzhou", "default", "40000", False, "2000"),          # 40,000 x 5%
    ("yangzhou", "default", "100000", False, "4500"),         # 50,000 x 5% + 50,000 x 4% = 2,500 + 2,000
    # 200,000: 50,000 x 5% + 100,000 x 4% + 50,000 x 3% = 2,500 + 4,000 + 1,500
    ("yangzhou", "default", "200000", False, "8000"),
    # insider, every rate +1 point: 50,000 x 6% + 100,000 x 5% + 50,000 x 4% = 3,000 + 5,000 + 2,000
    ("yangzhou", "default", "200000", True, "10000"),
    ("yangzhou", "default", "3500000", False, "100000"),      # 2,500 + 4,000 + 3,350,000 x 3% = 107,000 -> cap
    ("yangzhou", "default", "1000", False, "200"),            # 50 -> floor 200
    ("yangzhou", "default", "0", False, "200"),               # no amount involved: the fixed sum
]


@pytest.mark.parametrize(("name", "key", "basis", "insider", "expected"), TABLE)
def test_hand_computed_amounts(name, key, basis, insider, expected):
    assert amount(name, key, basis, insider) == D(expected)


def test_every_shipped_scheme_has_a_hand_computed_row():
    assert {row[0] for row in TABLE} == set(SCHEMES)


@pytest.mark.parametrize("name", ["national", "guangdong", "beijing", "shaanxi"])
def test_no_loss_means_no_reward_where_a_loss_is_required(name):
    scheme = load_scheme(name)
    quote = compute(scheme, next(iter(scheme.options)), D("0"))
    assert not quote.payable and quote.amount == 0


def test_the_breakdown_shows_each_segment():
    lines = compute(load_scheme("yangzhou"), "default", D("200000")).lines
    assert lines[:3] == ("(50000 − 0) × 5% = 2500", "(150000 − 50000) × 4% = 4000", "(200000 − 150000) × 3% = 1500")


def test_float_is_refused_as_a_basis():
    with pytest.raises(ValueError):
        compute(load_scheme("national"), "default", 5000.0)


BASE = {"name": "x", "floor": "200", "cap": "200000", "options": {"a": {"bands": [{"rate": "2"}]}}}


@pytest.mark.parametrize(("change", "message"), [
    ({"floor": 200.5}, "strings or integers"),
    ({"cap": "-1"}, ">= 0"),
    ({"floor": "300000"}, "floor exceeds cap"),
    ({"options": {"a": {"bands": [{"upto": "100", "rate": "5"}, {"rate": "3"}]}}}, "segmented"),
    ({"options": {"a": {"bands": [{"upto": "100", "rate": "5"}]}}}, "the last must not"),
    ({"options": {"a": {"mode": "segmented", "bands": [{"upto": "9", "rate": "5", "plus": "1"}, {"rate": "5"}]}}},
     "no fixed sum"),
    ({"no_loss_fixed_amount": "300"}, "must not exceed any floor"),
    ({"choose_by": "colour"}, "choose_by"),
    ({"rounding": "up"}, "rounding"),
])
def test_bad_scheme_files_are_refused(change, message):
    with pytest.raises(PolicyError, match=message):
        parse_scheme({**BASE, **change})


@pytest.mark.parametrize("key", ["floor", "cap"])
def test_floor_and_cap_must_be_written_in_the_file(key):
    with pytest.raises(PolicyError, match=key):
        parse_scheme({k: v for k, v in BASE.items() if k != key})


@pytest.mark.parametrize("name", ["../default", "missing"])
def test_unknown_or_unsafe_scheme_names_are_refused(name):
    with pytest.raises(PolicyError):
        load_scheme(name)


def test_the_default_policy_names_its_scheme_window_chain_and_budget():
    policy = load_policy(Settings().policy_file)
    rewards = reward_settings(policy.raw, {r.value for r in Role}, {"section_chief", "head"})
    rule = policy.rule(rewards.claim_deadline)
    assert (rewards.scheme.name, rule.amount, rule.unit.value) == ("national", 2, "months")
    assert rewards.approval_chain == ("section_chief", "head") and rewards.duplicate_policy == "FIRST_ONLY"
    assert rewards.annual_budget == D("500000") and rewards.eligible_reporters == {"natural_person"}
    assert [step.after for step in policy.escalation("reward_claim").ladder] == [0]


def test_an_approval_chain_may_name_only_roles_that_can_approve():
    raw = copy.deepcopy(load_policy(Settings().policy_file).raw)
    raw["rewards"]["approval_chain"] = ["section_chief", "desk_clerk"]
    with pytest.raises(PolicyError, match="approval_chain"):
        reward_settings(raw, {r.value for r in Role}, {"section_chief", "head"})
