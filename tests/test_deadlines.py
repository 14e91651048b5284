"""Deadlines the tip lifecycle opens, counted on the 2026 working-day calendar (service level, moved clock)."""
from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import select

from domain.calendar import SHANGHAI, YearSchedule
from domain.enums import Role
from domain.models import Deadline, Tip, User
from domain.schemas import ReporterIn, TipCreate, TransitionIn
from services.calendar import load_year
from services.context import SYSTEM, Actor
from services.tips import register_tip, transition_tip

# MADE-UP TEST DATA, not the real 2027 schedule: Fri 2027-01-01 off, Sat 2027-01-09 a make-up working day.
TEST_2027 = {"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-01-09"]}


def actor(user: User) -> Actor:
    return Actor(user.id, user.display_name, Role(user.role), user.department_id)


def shanghai(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def register(runtime, users, *, anonymous: bool = False) -> int:
    reporter = None if anonymous else ReporterIn(name="张三", phone="13900000000")
    data = TipCreate(channel="phone", institution_id=1, facts="挂床住院骗取医保基金", anonymous=anonymous,
                     reporter=reporter)
    with runtime.write(actor(users["desk"])) as ctx:
        return register_tip(ctx, data).tip.id


def send(runtime, users, username: str, tip_id: int, event: str, **extra) -> None:
    with runtime.write(actor(users[username])) as ctx:
        version = ctx.session.get(Tip, tip_id).version
        transition_tip(ctx, tip_id, TransitionIn(event=event, expected_version=version, **extra))


def deadlines(runtime, tip_id: int, kind: str, status: str = "open") -> list[Deadline]:
    with runtime.db.read() as session:
        return list(session.exec(select(Deadline).where(
            Deadline.subject_id == tip_id, Deadline.kind == kind, Deadline.status == status).order_by(Deadline.id)))


def the(runtime, tip_id: int, kind: str, status: str = "open") -> Deadline:
    [deadline] = deadlines(runtime, tip_id, kind, status)
    return deadline


def accept_on(runtime, users, clock, day: date) -> int:
    clock.set(shanghai(day))
    tip_id = register(runtime, users)
    send(runtime, users, "chief", tip_id, "accept")
    return tip_id


def test_filing_decision_counts_15_working_days_over_national_day(runtime, users, clock):
    # Registered Mon 2026-09-21. Working days after it (the start day is not counted):
    #  1 Tue 09-22, 2 Wed 09-23, 3 Thu 09-24, (Fri 09-25 .. Sun 09-27 Mid-Autumn off), 4 Mon 09-28,
    #  5 Tue 09-29, 6 Wed 09-30, (Thu 10-01 .. Wed 10-07 National Day off), 7 Thu 10-08, 8 Fri 10-09,
    #  9 Sat 10-10 (make-up working day), (Sun 10-11 off), 10 Mon 10-12 .. 14 Fri 10-16, 15 Mon 10-19.
    assert clock() == shanghai(date(2026, 9, 21))
    tip_id = register(runtime, users)
    filing = the(runtime, tip_id, "filing_decision")
    assert (filing.last_day, filing.amount, filing.unit) == (date(2026, 10, 19), 15, "working_days")
    assert filing.due_at == shanghai(date(2026, 10, 20), 0)  # the last day ends at 24:00
    assert filing.start_at == clock() and not filing.provisional


def test_decision_notice_is_5_working_days_after_accept(runtime, users, clock):
    # Accepted Wed 2026-09-30: 1 Thu 10-08, 2 Fri 10-09, 3 Sat 10-10 (make-up), 4 Mon 10-12, 5 Tue 10-13.
    tip_id = accept_on(runtime, users, clock, date(2026, 9, 30))
    notice = the(runtime, tip_id, "decision_notice")
    assert (notice.last_day, notice.start_at) == (date(2026, 10, 13), shanghai(date(2026, 9, 30)))
    assert the(runtime, tip_id, "filing_decision", "met").closed_at == shanghai(date(2026, 9, 30))


@pytest.mark.parametrize("accepted, last_day", [
    (date(2026, 9, 30), date(2026, 12, 29)),  # + 90 days = Tue 12-29, a working day
    (date(2026, 9, 21), date(2026, 12, 21)),  # + 90 days = Sun 12-20, rolled to Mon 12-21
    (date(2026, 7, 3), date(2026, 10, 8)),    # + 90 days = Thu 10-01, rolled past National Day to Thu 10-08
])
def test_handling_is_90_calendar_days_rolled_to_a_working_day(runtime, users, clock, accepted, last_day):
    assert accepted + timedelta(days=90) <= last_day
    tip_id = accept_on(runtime, users, clock, accepted)
    handling = the(runtime, tip_id, "handling")
    assert (handling.last_day, handling.unit, handling.amount) == (last_day, "calendar_days", 90)


def test_extension_adds_30_calendar_days_from_the_old_last_day(runtime, users, clock):
    # Accepted Thu 2026-06-04: handling ends Wed 09-02 (+90). Extended: 09-02 + 30 = Fri 10-02, a National
    # Day holiday, so the new last day is the next working day, Thu 10-08.
    tip_id = accept_on(runtime, users, clock, date(2026, 6, 4))
    assert the(runtime, tip_id, "handling").last_day == date(2026, 9, 2)
    send(runtime, users, "investigator", tip_id, "start_investigation")
    clock.set(shanghai(date(2026, 8, 20)))
    send(runtime, users, "investigator", tip_id, "request_extension", reason="需调取外地病历")
    send(runtime, users, "head", tip_id, "approve_extension")
    old = the(runtime, tip_id, "handling", "cancelled")
    new = the(runtime, tip_id, "handling")
    assert old.last_day == date(2026, 9, 2) and old.closed_at == shanghai(date(2026, 8, 20))
    assert (new.last_day, new.amount, new.unit, new.provisional) == (date(2026, 10, 8), 30, "calendar_days", False)
    assert new.start_at == shanghai(date(2026, 9, 2), 0)


def test_denied_extension_keeps_the_deadline(runtime, users, clock):
    tip_id = accept_on(runtime, users, clock, date(2026, 6, 4))
    send(runtime, users, "investigator", tip_id, "start_investigation")
    send(runtime, users, "investigator", tip_id, "request_extension", reason="需调取外地病历")
    send(runtime, users, "head", tip_id, "deny_extension", reason="期限内可完成")
    assert the(runtime, tip_id, "handling").last_day == date(2026, 9, 2)
    assert deadlines(runtime, tip_id, "handling", "cancelled") == []


def test_unknown_year_is_provisional_until_the_schedule_is_loaded(runtime, users, clock):
    settled = register(runtime, users)  # 2026-09-21, not provisional: must not move
    clock.set(shanghai(date(2026, 12, 20)))  # a Sunday
    tip_id = register(runtime, users)
    # Without 2027: Mon 12-21 .. Fri 12-25 (1-5), Mon 12-28 .. Thu 12-31 (6-9), then 2027 counted Mon-Fri:
    # Fri 01-01 (10), Mon 01-04 .. Fri 01-08 (11-15).
    before = the(runtime, tip_id, "filing_decision")
    assert (before.last_day, before.provisional) == (date(2027, 1, 8), True)
    with runtime.write(SYSTEM) as ctx:
        moved = load_year(ctx.session, YearSchedule.from_json(TEST_2027), now=ctx.now, policy=ctx.policy)
    assert moved == 1
    # With the test schedule: 01-01 is off (so 01-04 .. 01-08 are 10-14) and Sat 01-09 is the 15th.
    after = the(runtime, tip_id, "filing_decision")
    assert (after.last_day, after.provisional, after.due_at) == (date(2027, 1, 9), False, shanghai(date(2027, 1, 10), 0))
    assert after.id == before.id and after.start_at == before.start_at
    assert the(runtime, settled, "filing_decision").last_day == date(2026, 10, 19)
    clock.set(shanghai(date(2026, 12, 21)))
    new_tip = register(runtime, users)  # counted with the loaded schedule straight away
    assert (the(runtime, new_tip, "filing_decision").last_day, the(runtime, new_tip, "filing_decision").provisional) \
        == (date(2027, 1, 11), False)


def test_anonymous_tip_gets_no_notice_deadlines(runtime, users, clock):
    tip_id = register(runtime, users, anonymous=True)
    send(runtime, users, "chief", tip_id, "accept")
    send(runtime, users, "investigator", tip_id, "start_investigation")
    send(runtime, users, "investigator", tip_id, "conclude", finding="unsubstantiated")
    for kind in ("decision_notice", "result_notice"):
        assert deadlines(runtime, tip_id, kind) == [] and deadlines(runtime, tip_id, kind, "met") == []
    assert the(runtime, tip_id, "handling", "met")


def test_days_left_and_overdue_follow_the_clock(client, login, clock):
    headers = login("desk")
    body = {"channel": "phone", "institution_id": 1, "facts": "挂床住院骗取医保基金", "anonymous": True}
    tip_id = client.post("/api/v1/tips", json=body, headers=headers).json()["tip"]["id"]

    def filing() -> dict:
        [deadline] = client.get(f"/api/v1/tips/{tip_id}", headers=headers).json()["deadlines"]
        return deadline

    def overdue_ids() -> list[int]:
        return [t["id"] for t in client.get("/api/v1/tips?overdue=true", headers=headers).json()["items"]]

    assert (filing()["days_left"], filing()["overdue"], overdue_ids()) == (15, False, [])
    clock.set(shanghai(date(2026, 10, 8)))  # 10-09, 10-10 (make-up), 10-12 .. 10-16, 10-19 remain
    assert (filing()["days_left"], filing()["overdue"]) == (8, False)
    clock.set(shanghai(date(2026, 10, 19), 23) + timedelta(minutes=59))
    assert (filing()["days_left"], filing()["overdue"], overdue_ids()) == (0, False, [])
    clock.set(shanghai(date(2026, 10, 20), 0))
    assert (filing()["days_left"], filing()["overdue"], overdue_ids()) == (-1, True, [tip_id])
    clock.set(shanghai(date(2026, 10, 26)))  # Tue 10-20 .. Fri 10-23, Mon 10-26: five working days late
    assert (filing()["days_left"], filing()["overdue"]) == (-5, True)


def test_a_year_replaced_at_the_same_instant_is_not_served_from_a_stale_cache(runtime, clock):
    from services.calendar import get_calendar

    first = {"year": 2027, "holidays": ["2027-01-04"], "workdays": []}  # made-up test data
    second = {"year": 2027, "holidays": ["2027-01-05"], "workdays": []}
    for schedule, off, on in ((first, date(2027, 1, 4), date(2027, 1, 5)), (second, date(2027, 1, 5), date(2027, 1, 4))):
        with runtime.write(SYSTEM) as ctx:
            load_year(ctx.session, YearSchedule.from_json(schedule), now=clock.now, policy=ctx.policy)
        with runtime.db.read() as session:
            calendar = get_calendar(session)
        assert not calendar.is_working_day(off) and calendar.is_working_day(on)
