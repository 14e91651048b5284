"""The run command really starts Prefect server + API + served flows, and one Ctrl-C stops them all."""
import os
import signal
import subprocess
import sys
import time

import httpx

from tests.test_relay import free_port


DEPLOYMENTS = {"deadline-sweep", "notification-relay", "minutes-distribution", "coordination-sweep"}


def wait_for(url: str, process: subprocess.Popen, timeout_s: float = 150) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"run command exited early with {process.returncode}"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} never answered")


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_run_command_starts_everything_and_ctrl_c_stops_it(tmp_path):
    port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}", FUNDWATCH_STATE_DIR=str(tmp_path / "state"),
               FUNDWATCH_PORT=str(port), FUNDWATCH_PREFECT_PORT=str(prefect_port))
    fundwatch = os.path.join(os.path.dirname(sys.executable), "fundwatch")
    # Its own process group, like a job in a terminal: Ctrl-C there signals the whole group.
    process = subprocess.Popen([fundwatch, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v1/health", process)
        login = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/token",
                           json={"username": "chief", "password": "Demo@2026"})
        assert login.status_code == 200  # demo data loaded
        api = f"http://127.0.0.1:{prefect_port}/api"
        deadline = time.monotonic() + 60
        names: set[str] = set()
        while names != DEPLOYMENTS and time.monotonic() < deadline:
            names = {d["name"] for d in httpx.post(f"{api}/deployments/filter", json={}).json()}
            time.sleep(1)
        assert names == DEPLOYMENTS
        assert _first_completed_run(api) is not None  # the scheduler really fires (cron, every minute)
        children = children_of(process.pid)
        assert len(children) >= 2  # Prefect server and the API
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        process.wait(timeout=60)
        time.sleep(1)
        assert [pid for pid in children if os.path.exists(f"/proc/{pid}") and _alive(pid)] == []
    finally:
        if process.poll() is None:
            process.kill()


def _first_completed_run(api: str, timeout_s: float = 150) -> dict | None:
    body = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = httpx.post(f"{api}/flow_runs/filter", json=body).json()
        if runs:
            return runs[0]
        time.sleep(2)
    return None


def _alive(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"
