"""`fundwatch run`: Prefect server, API + pages, and the served flows, stopped together by one Ctrl-C."""
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from settings import Settings


def wait_until_healthy(url: str, *, timeout_s: float, process: subprocess.Popen, log: Path | None = None) -> None:
    """Poll `url` until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:4]} exited with {process.returncode}; see {log or 'its output'}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s; see {log or 'its output'}")


def _child(stack: ExitStack, args: list[str], log: Path, env: dict) -> subprocess.Popen:
    """Start a child with output to a file (a pipe nobody reads would block it); stop it on exit. Each child
    has its own session, so a terminal's Ctrl-C (sent to the whole foreground group) reaches only the
    launcher, which then stops the served flows while the Prefect server still answers, and the children
    after them; a server killed first would leave the flows' shutdown retrying against it."""
    handle = stack.enter_context(open(log, "ab"))
    process = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    stack.callback(_stop, process)
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def prefect_environment(settings: Settings) -> dict:
    """Prefect's own home (SQLite) under state/, no telemetry; a given PREFECT_API_URL is kept."""
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str(settings.state_dir / "prefect"))
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.setdefault("PREFECT_API_URL", f"http://127.0.0.1:{settings.prefect_port}/api")
    return env


def run_stack(settings: Settings, *, host: str, port: int, prefect: bool = True) -> None:
    """Start everything and block until Ctrl-C (or a child dies); then stop every child."""
    state = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    for signum in (signal.SIGINT, signal.SIGTERM):  # also when started as a background job (SIGINT ignored)
        signal.signal(signum, _interrupt)
    env = prefect_environment(settings)
    with ExitStack() as stack:
        if prefect and "PREFECT_API_URL" not in os.environ:
            log = state / "prefect-server.log"
            server = _child(stack, [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                    "--port", str(settings.prefect_port)], log, env)
            print(f"Prefect server starting (log: {log}) ...", flush=True)
            wait_until_healthy(f"{env['PREFECT_API_URL']}/health", timeout_s=120, process=server, log=log)
        api_log = state / "api.log"
        api = _child(stack, [sys.executable, "-m", "uvicorn", "api.main:app", "--host", host, "--port", str(port)],
                     api_log, env)
        wait_until_healthy(f"http://{host}:{port}/api/v1/health", timeout_s=60, process=api, log=api_log)
        _banner(host, port, env, prefect)
        try:
            _serve_flows(env) if prefect else api.wait()
        except KeyboardInterrupt:
            pass
        print("FundWatch stopping ...", flush=True)


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _serve_flows(env: dict) -> None:
    os.environ.update({k: env[k] for k in ("PREFECT_HOME", "PREFECT_API_URL", "PREFECT_SERVER_ANALYTICS_ENABLED")})
    from prefect import serve

    from settings import get_settings
    from workflows.deployments import deployments

    serve(*deployments(get_settings()))


def _banner(host: str, port: int, env: dict, prefect: bool) -> None:
    print(f"\nFundWatch is running:  pages http://{host}:{port}/   API docs http://{host}:{port}/docs", flush=True)
    if prefect:
        print(f"Prefect UI: {env['PREFECT_API_URL'].removesuffix('/api')}   (Ctrl-C stops everything)\n", flush=True)
