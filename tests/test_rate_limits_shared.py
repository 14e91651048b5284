"""Rate limits live in the database: several API workers (here: app instances with their own engine on one
database) share one limit instead of multiplying it, the limit lifts after its window, and the counters
hold no secrets."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from db.engine import Database
from services.demo import DEMO_PASSWORD
from settings import Settings
from tests.page_client import PageClient

CODE = "ABCD-EFGH-IJKL-MNOP-QRST"
TOKEN = "/api/v1/auth/token"
STATUS = "/api/v1/public/tips/status"


@pytest.fixture
def workers(database, clock, users):
    """Two workers of one deployment: separate apps, each with its own engine (and SQLite write lock)."""
    def start(settings: Settings | None = None) -> tuple[TestClient, TestClient]:
        second = Database(database.url)
        opened.append(second)
        apps = [create_app(settings=settings, database=db, clock=clock) for db in (database, second)]
        return PageClient(apps[0]), PageClient(apps[1])

    opened: list[Database] = []
    yield start
    for db in opened:
        db.dispose()


def _fail_login(client: TestClient, username: str = "chief") -> int:
    return client.post(TOKEN, json={"username": username, "password": "wrong"}).status_code


def _look_up(client: TestClient) -> int:
    return client.get(STATUS, headers={"X-Receipt-Code": CODE}).status_code


def test_two_workers_together_allow_only_the_configured_login_failures(workers):
    one, two = workers()
    answers = [_fail_login(one), _fail_login(two), _fail_login(one), _fail_login(two), _fail_login(one)]
    assert answers == [401] * 5
    assert _fail_login(two) == 429 and _fail_login(one) == 429
    right = {"username": "chief", "password": DEMO_PASSWORD}
    assert one.post(TOKEN, json=right).status_code == two.post(TOKEN, json=right).status_code == 429
    assert two.post(TOKEN, json={"username": "head", "password": DEMO_PASSWORD}).status_code == 200


def test_the_login_limit_lifts_after_its_window_and_a_success_clears_the_count(workers, clock):
    one, two = workers()
    for client in (one, two, one, two, one):
        _fail_login(client)
    clock.advance(minutes=14, seconds=59)
    assert _fail_login(two) == 429
    clock.advance(seconds=2)
    assert two.post(TOKEN, json={"username": "chief", "password": DEMO_PASSWORD}).status_code == 200
    assert [_fail_login(c) for c in (one, two, one, two, one)] == [401] * 5  # the success started afresh
    assert _fail_login(two) == 429


def test_receipt_lookups_per_client_are_shared_by_the_workers_and_lift_after_a_minute(workers, clock):
    one, two = workers()
    answers = [_look_up(one if i % 2 else two) for i in range(10)]
    assert answers == [404] * 10
    assert _look_up(one) == _look_up(two) == 429
    assert one.post("/status", data={"code": CODE}).status_code == 429  # the page shares the limit
    clock.advance(seconds=61)
    assert _look_up(one) == 404


def test_the_global_receipt_limit_is_shared_too(workers):
    one, two = workers(Settings(receipt_lookups_per_min_client=100, receipt_lookups_per_min_global=4))
    assert [_look_up(one), _look_up(two), _look_up(two), _look_up(one)] == [404] * 4
    assert _look_up(two) == 429 and _look_up(one) == 429


def test_parallel_attempts_on_two_workers_cannot_slip_past_the_limit(workers):
    one, two = workers()
    limiters = [one.app.state.limits.login, two.app.state.limits.login]
    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = list(pool.map(lambda i: limiters[i % 2].hit("chief|203.0.113.9"), range(24)))
    assert allowed.count(True) == 5


def test_counters_hold_no_secrets_and_ended_windows_are_purged(workers, database, clock):
    one, _two = workers()
    _look_up(one)
    _fail_login(one, "chief")
    with database.engine.connect() as conn:
        keys = [row[0] for row in conn.execute(text("SELECT key FROM rate_counter"))]
    assert len(keys) == 3  # the login, this client's look-ups, everyone's look-ups
    assert not any(secret in key for key in keys for secret in (CODE, "chief", "testclient", "wrong"))
    clock.advance(minutes=20)
    _look_up(one)
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rate_counter")).scalar_one() == 2
