"""Reward use cases on real databases: eligibility, approval turns, budget, claim window and lapse, claims."""
import copy
import threading
from datetime import datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from domain.calendar import SHANGHAI
from domain.enums import Channel, Finding
from domain.models import AuditEntry, Deadline, DeadlineStep
from domain.policy import parse_policy
from domain.reward_models import BudgetIn, ClaimantIdentity, Reward, RewardProposalIn, RewardTransitionIn
from domain.schemas import DuplicateLinkIn, TipCreate
from services import reward_queries as q
from services.errors import Forbidden, InvalidInput, StaleVersion, TransitionRefused
from services.escalation import sweep
from services.rewards import BudgetExceeded, describe_reward, propose_reward, transition_reward
from services.runtime import Runtime
from services.tips import link_duplicate, register_tip
from tests.helpers import REPORTER, actor, send

D = Decimal
CLAIMANT = {"identity_verified": True, "name": REPORTER.name, "id_number": REPORTER.id_number,
            "bank_name": "中国农业银行界首支行", "bank_account": "6228480012345678"}


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI)


def concluded(runtime, users, *, anonymous=False, amount="50000", finding=Finding.SUBSTANTIATED, institution=1):
    """A tip taken to 'concluded' with the given finding and confirmed loss; returns (tip, receipt code)."""
    data = TipCreate(channel=Channel.PHONE, institution_id=institution, facts="虚构住院骗取医保基金", anonymous=anonymous,
                     reporter=None if anonymous else REPORTER)
    with runtime.write(actor(users["desk"])) as ctx:
        registration = register_tip(ctx, data)
    tip, code = registration.tip, registration.receipt_code
    send(runtime, users["chief"], tip.id, "accept")
    send(runtime, users["investigator"], tip.id, "start_investigation")
    confirmed = None if finding == Finding.UNSUBSTANTIATED else D(amount)
    tip = send(runtime, users["investigator"], tip.id, "conclude", finding=finding, amount_confirmed=confirmed)
    return tip, code


def propose(runtime, user, tip_id, **fields) -> Reward:
    with runtime.write(actor(user)) as ctx:
        return propose_reward(ctx, tip_id, RewardProposalIn(**fields))


def move(runtime, user, reward_id, event, **fields) -> Reward:
    with runtime.write(actor(user)) as ctx:
        version = q.get_reward(ctx.session, reward_id).version
        return transition_reward(ctx, reward_id, RewardTransitionIn(event=event, expected_version=version, **fields))


def noticed(runtime, users, tip_id, *, notice=True) -> Reward:
    reward = move(runtime, users["chief"], propose(runtime, users["investigator"], tip_id).id, "approve")
    reward = move(runtime, users["head"], reward.id, "approve")
    return move(runtime, users["desk"], reward.id, "issue_notice") if notice else reward


def rows(runtime, model, *where):
    with runtime.db.read() as session:
        return list(session.exec(select(model).where(*where).order_by(*model.__table__.primary_key)))


def clocks(runtime, reward_id) -> dict[str, str]:
    found = rows(runtime, Deadline, Deadline.subject_type == "reward", Deadline.subject_id == reward_id)
    return {d.kind: d.status for d in found}


def test_real_name_reward_from_proposal_to_payment(runtime, users, clock):
    clock.set(at("2026-08-03"))
    tip, _ = concluded(runtime, users)
    assert [d.status for d in rows(runtime, Deadline, Deadline.kind == "reward_decision")] == ["open"]
    reward = propose(runtime, users["investigator"], tip.id)
    assert [d.status for d in rows(runtime, Deadline, Deadline.kind == "reward_decision")] == ["met"]
    # national scheme: 50,000 x 2% = 1,000 yuan, within floor 200 and cap 200,000
    assert (reward.status, reward.amount, reward.number) == ("proposed", D("1000.00"), "界医保奖〔2026〕1号")
    reward = move(runtime, users["chief"], reward.id, "approve", reason="同意")
    assert reward.status == "proposed" and [a["role"] for a in reward.approvals] == ["section_chief"]
    reward = move(runtime, users["head"], reward.id, "approve")
    assert (reward.status, reward.budget_year) == ("approved", 2026)
    assert clocks(runtime, reward.id) == {"reward_notice": "open"}
    reward = move(runtime, users["desk"], reward.id, "issue_notice")
    assert reward.notice_number == "界医保奖领〔2026〕1号" and reward.claim_last_day.isoformat() == "2026-10-08"
    reward = move(runtime, users["desk"], reward.id, "claim", claimant=CLAIMANT)
    assert clocks(runtime, reward.id) == {"reward_notice": "met", "reward_claim": "met", "reward_payment": "open"}
    reward = move(runtime, users["desk"], reward.id, "pay", bank_transfer_ref="NYYH20260805001")
    assert (reward.status, reward.paid_at, reward.version) == ("paid", at("2026-08-03"), 6)
    assert rows(runtime, ClaimantIdentity)[0].bank_account == "6228480012345678"
    with runtime.db.engine.connect() as conn:  # sealed at rest: neither the account nor the name in clear
        raw = str(conn.exec_driver_sql("SELECT * FROM claimant_identity").all())
    assert "6228480012345678" not in raw and CLAIMANT["name"] not in raw
    with runtime.read(actor(users["head"])) as ctx:
        line = q.budget_line(ctx.session, reward.department_id, 2026, D("500000"))
    assert (line.committed, line.paid, line.available) == (D("0.00"), D("1000.00"), D("499000.00"))
    actions = [a.action for a in rows(runtime, AuditEntry, AuditEntry.subject_type == "reward")]
    assert actions == ["propose", "approve", "approve", "issue_notice", "claim", "pay"]


def test_approvals_come_in_the_chains_order_each_recorded(runtime, users):
    tip, _ = concluded(runtime, users)
    reward = propose(runtime, users["investigator"], tip.id)
    for user in ("head", "auditor", "desk"):  # not the head's turn yet; the others may never approve
        with pytest.raises(Forbidden):
            move(runtime, users[user], reward.id, "approve")
    move(runtime, users["chief"], reward.id, "approve")
    with pytest.raises(Forbidden, match="局领导"):
        move(runtime, users["chief"], reward.id, "approve")
    with pytest.raises(InvalidInput, match="理由"):
        move(runtime, users["head"], reward.id, "reject")
    reward = move(runtime, users["head"], reward.id, "reject", reason="证据不足以认定举报人提供了主要线索")
    assert reward.status == "rejected" and [a["decision"] for a in reward.approvals] == ["approve", "reject"]


def test_claim_window_ends_after_national_day_and_the_sweep_lapses_the_reward(runtime, users, clock):
    # Notice served Mon 2026-08-03: two calendar months end on Sat Oct 3, inside National Day (Oct 1-7),
    # so the window runs to the next working day, Thu Oct 8, and lapses at Oct 9 00:00.
    clock.set(at("2026-08-03"))
    tip, _ = concluded(runtime, users)
    reward = noticed(runtime, users, tip.id)
    claim = rows(runtime, Deadline, Deadline.kind == "reward_claim")[0]
    assert claim.last_day.isoformat() == "2026-10-08" and claim.due_at == at("2026-10-09", 0)
    # Reminders 10 and 3 working days before Oct 8: Thu Sep 17 (Sep 18, make-up Sun Sep 20, Sep 21-24,
    # 28-30 and Oct 8 remain) and Mon Sep 28 (Sep 29, 30, Oct 8 remain).
    for day, hour, taken in (("2026-09-16", 23, []), ("2026-09-17", 0, ["remind-1"]),
                             ("2026-09-28", 0, ["remind-1", "remind-2"]), ("2026-10-08", 23, ["remind-1", "remind-2"])):
        clock.set(at(day, hour))
        sweep(runtime)
        assert [s.code for s in rows(runtime, DeadlineStep, DeadlineStep.deadline_id == claim.id)] == taken
    assert rows(runtime, Reward)[0].status == "claim_notice_issued"
    with pytest.raises(TransitionRefused):  # the clerk cannot lapse it while the window is open
        move(runtime, users["chief"], reward.id, "lapse")
    clock.set(at("2026-10-09", 0))
    with pytest.raises(TransitionRefused, match="2026-10-08 届满"):  # too late, even before the sweep ran
        move(runtime, users["desk"], reward.id, "claim", claimant=CLAIMANT)
    sweep(runtime)
    lapsed = rows(runtime, Reward)[0]
    assert (lapsed.status, lapsed.lapsed_at, clocks(runtime, reward.id)["reward_claim"]) == (
        "lapsed", at("2026-10-09", 0), "cancelled")
    level = rows(runtime, DeadlineStep, DeadlineStep.deadline_id == claim.id, DeadlineStep.code == "level-1")[0]
    assert level.notified == ["李承办", "张科长"]
    entry = rows(runtime, AuditEntry, AuditEntry.subject_type == "reward", AuditEntry.action == "lapse")[0]
    assert (entry.actor_name, entry.from_state) == ("系统", "claim_notice_issued")
    assert sweep(runtime).steps == []


def test_an_approval_over_the_years_budget_is_refused_with_the_figures(runtime, users):
    with runtime.write(actor(users["head"])) as ctx:
        q.set_budget(ctx, 2026, BudgetIn(budgeted=D("1500")))
    first, second = (concluded(runtime, users, institution=i)[0] for i in (1, 2))
    noticed(runtime, users, first.id, notice=False)             # 1,000 committed
    reward = propose(runtime, users["investigator"], second.id)  # another 1,000
    with pytest.raises(BudgetExceeded) as refused:
        move(runtime, users["chief"], reward.id, "approve")
    assert "预算 1500.00 元，已承诺 1000.00 元，已发放 0.00 元，可用 500.00 元，本笔奖励 1000.00 元" in refused.value.message
    unchanged = rows(runtime, Reward, Reward.id == reward.id)[0]
    assert (unchanged.version, unchanged.approvals) == (1, [])
    with runtime.write(actor(users["head"])) as ctx, pytest.raises(InvalidInput, match="1000.00"):
        q.set_budget(ctx, 2026, BudgetIn(budgeted=D("999")))
    with runtime.write(actor(users["admin"])) as ctx:
        q.set_budget(ctx, 2026, BudgetIn(budgeted=D("2000"), reason="追加预算"))
    assert move(runtime, users["chief"], reward.id, "approve").approvals[0]["name"] == "张科长"


def test_two_final_approvals_at_once_cannot_overspend_the_budget(runtime, users):
    with runtime.write(actor(users["head"])) as ctx:
        q.set_budget(ctx, 2026, BudgetIn(budgeted=D("1500")))
    tips = [concluded(runtime, users, institution=i)[0] for i in (1, 2)]
    ids = [move(runtime, users["chief"], propose(runtime, users["investigator"], t.id).id, "approve").id for t in tips]
    barrier, outcomes = threading.Barrier(2), []

    def approve(reward_id: int) -> None:
        barrier.wait()
        try:
            outcomes.append(move(runtime, users["head"], reward_id, "approve").status)
        except BudgetExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=approve, args=(reward_id,)) for reward_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "refused"]  # the budget row is locked: 1,000 + 1,000 > 1,500


def test_only_the_first_reporter_of_a_matter_is_rewarded(runtime, users):
    first, _ = concluded(runtime, users)
    later, _ = concluded(runtime, users)
    with runtime.write(actor(users["desk"])) as ctx:
        link_duplicate(ctx, later.id, DuplicateLinkIn(earlier_tip_id=first.id, expected_version=later.version))
    assert propose(runtime, users["investigator"], first.id).status == "proposed"
    refused = propose(runtime, users["investigator"], later.id)
    assert (refused.status, refused.refusal_ground, refused.first_reporter, refused.amount) == (
        "not_eligible", "not_first_reporter", False, 0)


def test_later_reporters_at_the_approvers_discretion_where_the_policy_says_so(database, users, clock, policy):
    raw = copy.deepcopy(policy.raw)
    raw["rewards"] |= {"duplicate_policy": "FIRST_PLUS_DISCRETIONARY",
                       "eligible_reporters": ["natural_person", "organisation"]}
    runtime = Runtime(db=database, policy=parse_policy(raw), clock=clock)
    first, _ = concluded(runtime, users)
    later, _ = concluded(runtime, users)
    with runtime.write(actor(users["desk"])) as ctx:
        link_duplicate(ctx, later.id, DuplicateLinkIn(earlier_tip_id=first.id, expected_version=later.version))
    with pytest.raises(InvalidInput, match="说明理由"):
        propose(runtime, users["investigator"], later.id)
    reward = propose(runtime, users["investigator"], later.id, reporter_kind="organisation", reason="补充了关键证据")
    assert (reward.status, reward.discretionary, reward.first_reporter) == ("proposed", True, False)


@pytest.mark.parametrize(("fields", "finding", "amount", "ground"), [
    ({"reporter_is_staff": True}, Finding.SUBSTANTIATED, "50000", "office_staff"),
    ({"offender_confessing": True}, Finding.SUBSTANTIATED, "50000", "offender_confessing"),
    ({"facts_already_known": True}, Finding.SUBSTANTIATED, "50000", "facts_already_known"),
    ({"reporter_kind": "organisation"}, Finding.SUBSTANTIATED, "50000", "reporter_kind"),
    ({"wants_reward": False}, Finding.SUBSTANTIATED, "50000", "reward_declined"),
    ({}, Finding.UNSUBSTANTIATED, None, "not_substantiated"),
    ({}, Finding.PARTLY_SUBSTANTIATED, "0", "no_loss"),
])
def test_each_refusal_records_its_ground(runtime, users, fields, finding, amount, ground):
    tip, _ = concluded(runtime, users, finding=finding, amount=amount or "0")
    reward = propose(runtime, users["chief"], tip.id, **fields)
    assert (reward.status, reward.refusal_ground, reward.amount) == ("not_eligible", ground, 0)
    entries = rows(runtime, AuditEntry, AuditEntry.subject_type == "reward")
    assert [(e.action, e.detail["grounds"][0]) for e in entries] == [("refuse", ground)]
    assert clocks(runtime, reward.id) == {}


def test_a_proposal_needs_a_concluded_tip_and_is_made_once(runtime, users):
    tip, _ = concluded(runtime, users)
    with runtime.write(actor(users["desk"])) as ctx:
        data = TipCreate(channel=Channel.WEB, institution_id=1, facts="串换药品骗保", anonymous=True)
        fresh = register_tip(ctx, data).tip
    with pytest.raises(InvalidInput, match="办结后"):
        propose(runtime, users["investigator"], fresh.id)
    with pytest.raises(InvalidInput, match="奖励档次"):
        propose(runtime, users["investigator"], tip.id, option="1")
    with pytest.raises(InvalidInput, match="查实金额"):
        propose(runtime, users["investigator"], tip.id, basis=D("50000.01"))
    assert rows(runtime, Reward) == []
    propose(runtime, users["investigator"], tip.id, basis=D("20000"))
    with pytest.raises(InvalidInput, match="已有奖励记录"):
        propose(runtime, users["investigator"], tip.id)


def test_anonymous_claimant_proves_the_code_and_the_identity_is_sealed(runtime, users):
    tip, code = concluded(runtime, users, anonymous=True)
    reward = noticed(runtime, users, tip.id)
    stranger = {**CLAIMANT, "name": "赵某", "id_number": "341282199001011234"}
    attempts = ((stranger, "receipt_code"), ({**stranger, "receipt_code": "AAAA-BBBB-CCCC-DDDD-EEEE"}, "receipt_code"),
                ({**stranger, "receipt_code": code, "identity_verified": False}, "identity_verified"))
    for claimant, field in attempts:
        with pytest.raises(InvalidInput) as refused:
            move(runtime, users["desk"], reward.id, "claim", claimant=claimant)
        assert refused.value.field == f"claimant.{field}"
    move(runtime, users["desk"], reward.id, "claim", claimant={**stranger, "receipt_code": code.lower()})
    with runtime.write(actor(users["investigator"])) as ctx, pytest.raises(Forbidden):
        q.read_claimant(ctx, reward.id, reason="核对账户")
    with runtime.write(actor(users["desk"])) as ctx:
        assert q.read_claimant(ctx, reward.id, reason="核对收款账户").name == "赵某"
    reads = rows(runtime, AuditEntry, AuditEntry.action == "claimant_identity_read")
    assert [(r.actor_name, r.reason) for r in reads] == [("王受理", "核对收款账户")]
    assert all("赵某" not in str(e.detail) for e in rows(runtime, AuditEntry))


def test_a_real_name_reward_goes_only_to_the_registered_reporter_or_is_waived(runtime, users):
    first, second = (concluded(runtime, users, institution=i)[0] for i in (1, 2))
    reward = noticed(runtime, users, first.id)
    with pytest.raises(InvalidInput, match="身份证号"):
        move(runtime, users["desk"], reward.id, "claim", claimant={**CLAIMANT, "id_number": "341282199001011234"})
    proxy = {**CLAIMANT, "proxy_name": "林某某", "proxy_id_number": "341282198502021111", "power_of_attorney": True}
    assert move(runtime, users["desk"], reward.id, "claim", claimant=proxy).by_proxy
    waived = move(runtime, users["desk"], noticed(runtime, users, second.id).id, "waive", reason="举报人书面声明放弃")
    assert waived.status == "waived" and clocks(runtime, waived.id)["reward_claim"] == "cancelled"


def test_a_reward_obtained_by_fraud_is_recovered(runtime, users):
    tip, _ = concluded(runtime, users)
    reward = move(runtime, users["desk"], noticed(runtime, users, tip.id).id, "claim", claimant=CLAIMANT)
    move(runtime, users["desk"], reward.id, "pay", bank_transfer_ref="NYYH0001")
    with pytest.raises(Forbidden):
        move(runtime, users["chief"], reward.id, "order_recovery", reason="伪造证据")
    move(runtime, users["head"], reward.id, "order_recovery", reason="举报人伪造证据材料骗取奖励")
    reward = move(runtime, users["chief"], reward.id, "recover", recovery_ref="JK2026-0009")
    assert (reward.status, reward.recovery_ref) == ("recovered", "JK2026-0009")
    with runtime.read(actor(users["head"])) as ctx:
        assert q.budget_line(ctx.session, reward.department_id, 2026, D("500000")).paid == 0


def test_a_stale_version_is_refused_and_nothing_changes(runtime, users):
    tip, _ = concluded(runtime, users)
    reward = propose(runtime, users["investigator"], tip.id)
    move(runtime, users["chief"], reward.id, "approve")
    with runtime.write(actor(users["head"])) as ctx, pytest.raises(StaleVersion):
        transition_reward(ctx, reward.id, RewardTransitionIn(event="approve", expected_version=1))
    assert rows(runtime, Reward)[0].status == "proposed"
    with runtime.read(actor(users["head"])) as ctx:
        info = describe_reward(ctx.session, reward.id)
    expected = (reward.number, "待审批", False, users["investigator"].id)
    assert (info.number, info.stage, info.closed, info.handler_id) == expected
