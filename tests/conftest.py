"""Real databases for every test: a fresh SQLite file, and PostgreSQL too when TEST_DATABASE_URL is set.

Migrations run once per backend per session (Alembic, as in production); each test then gets a clean
copy (SQLite: a copied file; PostgreSQL: truncated tables in a database created for this run).
"""
import os
import shutil
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import db.engine
import domain.all_tables  # noqa: F401
from api.app import create_app
from db.engine import Database
from db.migrate import upgrade
from domain.policy import load_policy
from services.demo import DEMO_PASSWORD, load_reference
from services.runtime import Runtime
from settings import Settings
from tests.page_client import PageClient

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_ENABLED", "false")
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


class MovableClock:
    """An injected clock tests move by hand (no sleeping)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def pg_database():
    """A database created for this test run on the TEST_DATABASE_URL server, dropped afterwards."""
    server = make_url(PG_URL)
    name = f"fundwatch_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)"), {"genesis": "0" * 64})


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    """A clean, migrated database on each configured backend."""
    if request.param == "sqlite":
        path = tmp_path / "fundwatch.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = Database(f"sqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("pg_database"))
        _truncate_all(db)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> MovableClock:
    # Monday 2026-09-21 10:00 Shanghai: National Day (Oct 1-7) lies within the filing period.
    return MovableClock(datetime(2026, 9, 21, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def policy():
    return load_policy(Settings().policy_file)


@pytest.fixture
def runtime(database, policy, clock) -> Runtime:
    return Runtime(db=database, policy=policy, clock=clock)


@pytest.fixture
def users(runtime):
    """One user per role (the demo accounts), by username."""
    return load_reference(runtime)


@pytest.fixture
def app(database, clock, users):
    return create_app(database=database, clock=clock)


@pytest.fixture
def client(app):
    # Like a browser on our own pages: unsafe requests name their origin (the CSRF guard checks it).
    with PageClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client


@pytest.fixture
def login(client):
    """login('desk') -> Authorization headers for that demo user."""
    cache: dict[str, dict] = {}

    def _login(username: str) -> dict:
        if username not in cache:
            response = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.text
            cache[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return cache[username]

    return _login


@pytest.fixture
def browser(app):
    """browser('chief') -> a client logged in through the log-in form (cookie set); browser() -> logged out."""
    opened: list[PageClient] = []

    def _open(username: str | None = None) -> PageClient:
        client = PageClient(app)
        opened.append(client)
        if username:
            response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD},
                                   follow_redirects=False)
            assert response.status_code == 303, response.text
        return client

    yield _open
    for client in opened:
        client.close()


@pytest.fixture(scope="session")
def prefect_server():
    """A Prefect test server for the flow tests (one per session, started on first use)."""
    from prefect.testing.utilities import prefect_test_harness  # Prefect is imported only by the tests that need it

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def process_database(database):
    """Point the process-wide database (what flows use) at the test database."""
    db.engine._database = database
    yield database
    db.engine._database = None
