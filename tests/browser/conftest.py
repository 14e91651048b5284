"""Real-browser journeys: the real app under uvicorn in a subprocess, Debian's Chromium driven by Playwright.

One server and one browser serve a module's journeys (module scope: both are gone before the rest of
the suite runs). The server reads a fresh migrated SQLite file; this process opens the same file to
prepare state through the services (with a fixed clock), and puts the data back to the reference set
(departments, institutions, demo users) before every journey, so each journey sees only what it made.
The server's clock starts at FIXED_NOW and then ticks with real time, so the numbers it hands out
(JB2026-…, 界医保移〔2026〕N号) do not depend on the day the suite runs.

Chromium is Debian's /usr/bin/chromium (scripts/test.sh installs it); Playwright's own browser download
cannot work here and is never used. A missing browser fails these tests, it never skips them.
"""
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, insert, select
from sqlmodel import SQLModel
from sqlmodel import select as select_model

import domain.all_tables  # noqa: F401
from db.engine import Database
from db.migrate import upgrade
from domain.models import User
from domain.policy import load_policy
from services.demo import DEMO_PASSWORD, load_reference
from services.runtime import Runtime
from settings import Settings
from tests.conftest import MovableClock

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("FUNDWATCH_TEST_CHROMIUM", "/usr/bin/chromium")
# As root in a sandbox with no network: no sandbox, no GPU, and none of Chromium's calls home.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Monday 2026-11-23 10:00 Shanghai, a working day: "now" for the server and for the services run here.
FIXED_NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
TIMEOUT_MS = 10_000

# The server: the real app factory, its clock started at FIXED_NOW (argv[1]) and ticking, on port argv[2].
SERVER = """
import sys, time
from datetime import datetime, timedelta
import uvicorn
from api.app import create_app
start, began = datetime.fromisoformat(sys.argv[1]), time.monotonic()
app = create_app(clock=lambda: start + timedelta(seconds=time.monotonic() - began))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def click_submit(button, status: int = 303) -> None:
    """Click a form's submit button as a person would; the browser's POST must be answered with `status`
    (else the failure names what the server answered, e.g. a 403 refusal and its text)."""
    page = button.page
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        button.click()
    got = answer.value
    if got.status != status:
        text = got.text() if got.status >= 400 else got.headers.get("location", "")
        raise AssertionError(f"POST {got.url} answered {got.status}, not {status}: {text}")
    page.wait_for_load_state()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def db_file(tmp_path_factory) -> Path:
    """A fresh SQLite file, migrated as in production (Alembic)."""
    path = tmp_path_factory.mktemp("browser") / "fundwatch.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="module")
def shared_db(db_file) -> Iterator[Database]:
    """This process's connection to the server's database file."""
    database = Database(f"sqlite:///{db_file}")
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def reference_rows(shared_db) -> dict[str, list[dict]]:
    """Load the reference data once and keep a copy of every table's rows, to put back before each journey."""
    runtime = Runtime(db=shared_db, policy=load_policy(Settings().policy_file), clock=lambda: FIXED_NOW)
    load_reference(runtime)
    with shared_db.engine.connect() as conn:
        return {t.name: [dict(row._mapping) for row in conn.execute(select(t))]
                for t in SQLModel.metadata.sorted_tables}


@pytest.fixture(scope="module")
def server(db_file, reference_rows, tmp_path_factory) -> Iterator[str]:
    """The real app under uvicorn in a subprocess on a free port; yields its base URL."""
    port = free_port()
    state = tmp_path_factory.mktemp("server-state")
    log = (state / "server.log").open("w+")
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("FUNDWATCH_")}
    env = {**inherited, "DATABASE_URL": f"sqlite:///{db_file}", "FUNDWATCH_STATE_DIR": str(state),
           "FUNDWATCH_ENVIRONMENT": "development", "PREFECT_SERVER_EPHEMERAL_ENABLED": "false",
           "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-c", SERVER, FIXED_NOW.isoformat(), str(port)],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"the app exited with code {process.returncode}:\n{log.read()}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the app did not answer on {url} within 30 s:\n{log.read()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def clock() -> MovableClock:
    """The clock of the services run in this process; starts where the server's does."""
    return MovableClock(FIXED_NOW)


@pytest.fixture
def runtime(shared_db, reference_rows, clock) -> Runtime:
    """Services on the server's own database file, with this test's clock; data back to the reference set."""
    with shared_db.write() as session:
        for table in reversed(SQLModel.metadata.sorted_tables):
            session.execute(delete(table))
        for table in SQLModel.metadata.sorted_tables:
            if rows := reference_rows[table.name]:
                session.execute(insert(table), rows)
    return Runtime(db=shared_db, policy=load_policy(Settings().policy_file), clock=clock)


@pytest.fixture
def users(runtime) -> dict[str, User]:
    """The demo users by username (ids as the server sees them)."""
    with runtime.db.read() as session:
        return {user.username: user for user in session.exec(select_model(User))}


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, through Playwright's sync API."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: run scripts/test.sh (it installs Debian's chromium with apt-get) "
                    "or set FUNDWATCH_TEST_CHROMIUM to a Chromium binary", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the journey failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def open_as(request, browser, server, runtime) -> Iterator[Callable]:
    """open_as('chief') -> a page in its own browser context, logged in through the log-in form;
    open_as(None) -> a page of a visitor who is not logged in. A failed journey leaves a screenshot of
    every page it had open (test-artifacts/screenshots/<test>-failed-<n>.png)."""
    contexts = []

    def _open(username: str | None):
        context = browser.new_context(base_url=server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        if username:
            page.goto("/login")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(DEMO_PASSWORD)
            click_submit(page.get_by_role("button", name="登录"))
            page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield _open
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pages = [page for context in contexts for page in context.pages]
        for n, page in enumerate(pages, 1):
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name.removeprefix('test_')}-failed-{n}.png"),
                            full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def submit() -> Callable:
    """submit(button, status=303): click a form's submit button; the POST must be answered with `status`."""
    return click_submit


@pytest.fixture
def shot(request) -> Callable:
    """shot(page, 'name') -> saves a full-page screenshot as test-artifacts/screenshots/<test>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = request.node.name.removeprefix("test_")

    def _shot(page, name: str) -> Path:
        path = SCREENSHOTS / f"{test}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
