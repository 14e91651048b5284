"""The request's user is remembered while no account changed. A committed change to an account, made by this
process or by another one on the same database, makes every process read the user again at the next
request: log-out and deactivation end access at once on every API worker."""
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import event, update

from api.app import create_app
from db.engine import Database
from domain.models import User
from services.demo import DEMO_PASSWORD
from services.users import RequestUsers
from tests.helpers import register
from tests.page_client import PageClient

ME = "/api/v1/auth/me"


def reads_of(database: Database, users: RequestUsers, user_id: int) -> int:
    """How many pooled connections `users.get` took: one per read of the user's row."""
    taken = []
    listener = lambda *_: taken.append(1)  # noqa: E731
    event.listen(database.engine, "checkout", listener)
    try:
        users.get(user_id)
    finally:
        event.remove(database.engine, "checkout", listener)
    return len(taken)


def in_another_process(database: Database, code: str) -> None:
    """Run `code`, given `runtime` on this test's database, in a separate Python process."""
    script = textwrap.dedent("""
        import sys
        from db.engine import Database
        from domain.policy import load_policy
        from services.runtime import Runtime
        from settings import Settings
        runtime = Runtime(db=Database(sys.argv[1]), policy=load_policy(Settings().policy_file))
    """) + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script, database.url], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def remembers(database: Database) -> bool:
    """SQLite files share an accounts revision; PostgreSQL's workers may run on several machines: read always."""
    return "accounts" in database.revisions


def test_a_user_is_read_once_until_an_account_changes(database, users):
    remembered = RequestUsers(database)
    desk, chief = users["desk"].id, users["chief"].id
    assert reads_of(database, remembered, desk) == 1
    assert reads_of(database, remembered, desk) == (0 if remembers(database) else 1)
    assert reads_of(database, remembered, chief) == 1
    with database.write() as session:  # any account's change: every remembered row is read again
        session.get(User, chief).display_name = "科长（新）"
    assert reads_of(database, remembered, desk) == 1
    assert remembered.get(chief).display_name == "科长（新）"
    with database.write() as session:  # a bulk statement counts too
        session.execute(update(User).where(User.id == desk).values(email="desk@example.gov.cn"))
    assert remembered.get(desk).email == "desk@example.gov.cn"


def test_writes_that_change_no_account_keep_the_memory(database, runtime, users):
    """Else every registration would make each request read its user again."""
    remembered = RequestUsers(database)
    remembered.get(users["desk"].id)
    register(runtime, users["desk"])
    with pytest.raises(RuntimeError), database.write() as session:  # a change that is rolled back
        session.get(User, users["desk"].id).active = False
        session.flush()
        raise RuntimeError("the use case fails")
    assert reads_of(database, remembered, users["desk"].id) == (0 if remembers(database) else 1)
    assert remembered.get(users["desk"].id).active


def test_log_out_in_another_process_ends_the_token_here_at_the_next_request(database, clock, users):
    app = create_app(database=database, clock=clock)
    with PageClient(app) as client:
        token = client.post("/api/v1/auth/token", json={"username": "chief", "password": DEMO_PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert client.get(ME, headers=headers).status_code == 200  # now remembered
        in_another_process(database, f"""
            from services.context import Actor
            from services.user_admin import end_sessions
            from domain.enums import Role
            with runtime.write(Actor(id={users["chief"].id}, name="科长", role=Role.SECTION_CHIEF)) as ctx:
                end_sessions(ctx)
        """)
        assert client.get(ME, headers=headers).status_code == 401


def test_deactivation_by_one_worker_refuses_the_user_on_another(database, clock, users):
    """Two apps on one database, each with its own memory: two API workers."""
    first, second = create_app(database=database, clock=clock), create_app(database=database, clock=clock)
    with PageClient(first) as admin_side, PageClient(second) as other_worker:
        def token(client, username):
            answer = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        investigator = token(other_worker, "investigator")
        assert other_worker.get(ME, headers=investigator).status_code == 200
        disabled = admin_side.post(f"/api/v1/users/{users['investigator'].id}/active", json={"active": False},
                                   headers=token(admin_side, "admin"))
        assert disabled.status_code == 200, disabled.text
        assert other_worker.get(ME, headers=investigator).status_code == 401
