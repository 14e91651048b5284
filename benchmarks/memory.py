"""Memory: RSS of each process of the running stack (`fundwatch run`: Prefect server, API, flow server).

    .venv/bin/python -m benchmarks.memory
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import httpx

from benchmarks.common import free_port, rss_mb


def tree(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    children = [int(p) for p in out.split()]
    return [pid] + [grand for child in children for grand in tree(child)]


def _name(pid: int) -> str:
    """A short label: 'prefect server', 'uvicorn api.main:app', a flow run, or the launcher."""
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        args = [a.decode() for a in cmdline.read().split(b"\0") if a]
    text = " ".join(args[1:4])
    return "prefect server" if "server" in text else "api (uvicorn)" if "uvicorn" in text else \
        "launcher + served flows" if "fundwatch" in text else f"flow run ({text[:40]})"


def main() -> dict:
    state = tempfile.mkdtemp()
    port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(DATABASE_URL=f"sqlite:///{state}/m.db", FUNDWATCH_STATE_DIR=state, FUNDWATCH_PORT=str(port),
               FUNDWATCH_PREFECT_PORT=str(prefect_port))
    fundwatch = os.path.join(os.path.dirname(sys.executable), "fundwatch")
    process = subprocess.Popen([fundwatch, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        time.sleep(20)  # let the served flows settle
        resident = {pid: rss_mb(pid) for pid in tree(process.pid)}  # a flow run may end meanwhile
        processes = {f"{pid} {_name(pid)}": mb for pid, mb in resident.items() if mb is not None}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    return {"processes_mb": processes, "total_mb": round(sum(processes.values()), 1)}


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
