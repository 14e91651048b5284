"""Conflicting transitions sent at the same instant, and many registrations at once (real threads, real DB)."""
import threading
import time
from collections import Counter

from sqlalchemy import text
from sqlmodel import select

from domain.enums import Role
from domain.models import AuditEntry, Deadline, Tip, User
from domain.schemas import ReporterIn, TipCreate, TransitionIn
from services.context import Actor
from services.errors import StaleVersion, TransitionRefused
from services.tips import register_tip, transition_tip

ROUNDS = 5
REJECT = {"ground": "out_of_scope", "reason": "不属于医保基金监管范围"}


def actor(user: User) -> Actor:
    return Actor(user.id, user.display_name, Role(user.role), user.department_id)


def race(*calls) -> list:
    """Run the calls in threads released together by a barrier; each result is a value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def tip_data(*, anonymous: bool = True) -> TipCreate:
    reporter = None if anonymous else ReporterIn(name="张三", phone="13900000000")
    return TipCreate(channel="phone", institution_id=1, facts="挂床住院骗取医保基金", anonymous=anonymous,
                     reporter=reporter)


def register(runtime, users, *, anonymous: bool = True) -> Tip:
    with runtime.write(actor(users["desk"])) as ctx:
        return register_tip(ctx, tip_data(anonymous=anonymous)).tip


def transition(runtime, user: User, tip_id: int, event: str, version: int, **extra):
    def call():
        with runtime.write(actor(user)) as ctx:
            return transition_tip(ctx, tip_id, TransitionIn(event=event, expected_version=version, **extra)).status
    return call


def tip_state(runtime, tip_id: int) -> tuple[Tip, list[str], list[Deadline]]:
    with runtime.db.read() as session:
        tip = session.get(Tip, tip_id)
        actions = list(session.exec(select(AuditEntry.action).where(
            AuditEntry.subject_type == "tip", AuditEntry.subject_id == tip_id).order_by(AuditEntry.id)))
        deadlines = list(session.exec(select(Deadline).where(Deadline.subject_id == tip_id)))
        return tip, actions, deadlines


def test_accept_and_reject_at_once_exactly_one_wins(runtime, users):
    winners = Counter()
    for _ in range(ROUNDS):
        tip_id = register(runtime, users).id
        results = race(transition(runtime, users["chief"], tip_id, "accept", 1),
                       transition(runtime, users["head"], tip_id, "reject", 1, **REJECT))
        won = [r for r in results if isinstance(r, str)]
        lost = [r for r in results if not isinstance(r, str)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], (StaleVersion, TransitionRefused)), repr(lost[0])
        if isinstance(lost[0], StaleVersion):
            assert lost[0].current == 2
        tip, actions, deadlines = tip_state(runtime, tip_id)
        assert tip.status == won[0] and tip.version == 2
        assert actions == ["register", {"accepted": "accept", "not_accepted": "reject"}[won[0]]]
        assert [d.status for d in deadlines if d.kind == "filing_decision"] == ["met"]
        assert (tip.rejection_ground is not None) == (won[0] == "not_accepted")
        winners[won[0]] += 1
    assert sum(winners.values()) == ROUNDS


def test_same_event_twice_is_applied_once(runtime, users):
    for _ in range(ROUNDS):
        tip_id = register(runtime, users, anonymous=False).id
        results = race(transition(runtime, users["chief"], tip_id, "accept", 1),
                       transition(runtime, users["head"], tip_id, "accept", 1))
        assert sorted(type(r).__name__ for r in results) == ["StaleVersion", "str"], results
        tip, actions, deadlines = tip_state(runtime, tip_id)
        assert (tip.status, tip.version, actions) == ("accepted", 2, ["register", "accept"])
        assert sorted(d.kind for d in deadlines if d.status == "open") == ["decision_notice", "handling"]


def test_conflicting_requests_through_the_api(client, login):
    body = {"channel": "phone", "institution_id": 1, "facts": "挂床住院骗取医保基金", "anonymous": True}
    chief, head = login("chief"), login("head")
    for _ in range(ROUNDS):
        tip_id = client.post("/api/v1/tips", json=body, headers=login("desk")).json()["tip"]["id"]
        url = f"/api/v1/tips/{tip_id}/transitions"
        responses = race(lambda: client.post(url, json={"event": "accept", "expected_version": 1}, headers=chief),
                         lambda: client.post(url, json={"event": "reject", "expected_version": 1, **REJECT},
                                             headers=head))
        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
        loser = next(r for r in responses if r.status_code == 409).json()
        assert loser["code"] in ("stale_version", "transition_not_allowed")
        history = client.get(f"/api/v1/tips/{tip_id}/history", headers=chief).json()
        decisions = [row["action"] for row in history if row["action"] in ("accept", "reject")]
        assert len(decisions) == 1
        assert client.get(f"/api/v1/tips/{tip_id}", headers=chief).json()["version"] == 2


def test_twenty_registrations_at_once_all_succeed_with_distinct_numbers(runtime, users):
    results = race(*[lambda: register(runtime, users) for _ in range(20)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    numbers = [tip.number for tip in results]
    assert len(set(numbers)) == 20
    assert sorted(numbers) == [f"JB2026-{n:05d}" for n in range(1, 21)]  # gap-free
    with runtime.db.read() as session:
        assert len(session.exec(select(Tip)).all()) == 20
        registered = session.exec(select(AuditEntry).where(AuditEntry.action == "register")).all()
        assert len(registered) == 20


def test_registrations_waiting_for_a_number_get_it_in_arrival_order(runtime, users):
    """On PostgreSQL they wait in the lock manager's first-come queue, not in a race for the row lock."""
    holding, release, numbers = threading.Event(), threading.Event(), {}

    def first() -> None:
        with runtime.write(actor(users["desk"])) as ctx:
            numbers["first"] = register_tip(ctx, tip_data()).tip.number
            holding.set()
            release.wait(30)

    def later(name: str) -> threading.Thread:
        thread = threading.Thread(target=lambda: numbers.setdefault(name, register(runtime, users).number))
        thread.start()
        return thread

    holder = threading.Thread(target=first)
    holder.start()
    assert holding.wait(30)
    second = later("second")
    wait_until(lambda: waiting_locks(runtime) == 1)
    third = later("third")
    wait_until(lambda: waiting_locks(runtime) == 2)
    if not runtime.db.is_sqlite:
        assert waiting_lock_types(runtime) == ["advisory", "advisory"]
    release.set()
    for thread in (holder, second, third):
        thread.join(30)
    assert [numbers[name] for name in ("first", "second", "third")] == [f"JB2026-{n:05d}" for n in (1, 2, 3)]


def waiting_lock_types(runtime) -> list[str]:
    with runtime.db.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT locktype FROM pg_locks WHERE NOT granted AND (database IS NULL OR database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()))")).scalars())


def waiting_locks(runtime) -> int:
    """Writers queued behind the holder: SQLite's in-process writer queue, PostgreSQL's ungranted locks."""
    if runtime.db.is_sqlite:
        return len(runtime.db._write_lock._queue)  # noqa: SLF001 - the queue is what the test watches
    return len(waiting_lock_types(runtime))


def wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the writers never queued"
        time.sleep(0.02)
