"""Shared pieces: a fresh database, a served app in a subprocess, a concurrent load generator."""
import asyncio
import gc
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from db.engine import Database
from db.migrate import upgrade
from domain.policy import load_policy
from services.demo import load_reference
from services.runtime import Runtime
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def fresh_database(url: str | None = None) -> tuple[str, Database]:
    """A migrated database with the reference data: a temp SQLite file, or BENCH_DATABASE_URL."""
    url = url or os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    database = Database(url)
    load_reference(Runtime(db=database, policy=load_policy(Settings().policy_file)))
    return url, database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app_path: str, url: str) -> tuple[subprocess.Popen, str]:
    """Run `uvicorn app_path` (one worker, like the run command) against `url`; wait until it answers."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "FUNDWATCH_RECEIPT_LOOKUPS_PER_MIN_GLOBAL": "100000"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", app_path, "--port", str(port), "--log-level",
                                "warning", "--no-access-log"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/api/v1/health", timeout=1)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{app_path} did not start")


async def _exchange(reader, writer, request: bytes, url: str) -> None:
    """Send one HTTP/1.1 request on a kept-alive connection and read its whole answer."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
                  if line.startswith(b"content-length:"))
    answer = await reader.readexactly(length)
    if status >= 300:
        raise RuntimeError(f"{url}: {status} {answer[:200].decode(errors='replace')}")


async def _load(method: str, url: str, *, requests: int, concurrency: int, headers: dict, body) -> list[float]:
    """`concurrency` kept-alive connections, each sending its next request as soon as the last is answered.
    Raw HTTP/1.1 on asyncio streams, like wrk: an HTTP client library costs more CPU per request than the
    bare endpoint it measures, and on a small machine that CPU is taken from the server."""
    target = httpx.URL(url)
    payload = json.dumps(body, ensure_ascii=False).encode()
    lines = [f"{method} {target.raw_path.decode()} HTTP/1.1", f"Host: {target.host}:{target.port}",
             "Content-Type: application/json", f"Content-Length: {len(payload)}",
             *(f"{name}: {value}" for name, value in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    latencies: list[float] = []
    remaining = requests

    async def connection() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection(target.host, target.port)
        try:
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                await _exchange(reader, writer, request, url)
                latencies.append(time.perf_counter() - start)
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies


def timed_load(method: str, url: str, *, requests: int, concurrency: int, headers: dict | None = None,
               body=None) -> tuple[float, list[float]]:
    """One load run: (elapsed seconds, each request's latency)."""
    # The load generator's own full collections would pause every request in flight and count against the
    # server; what is alive now (imported modules, the seeded database's objects) is never garbage.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    latencies = asyncio.run(_load(method, url, requests=requests, concurrency=concurrency,
                                  headers=headers or {}, body=body))
    return time.perf_counter() - started, latencies


def summarize(runs: list[tuple[float, list[float]]]) -> dict:
    """req/s, p50 and p99 in ms over several load runs taken together."""
    elapsed = sum(run[0] for run in runs)
    ordered = sorted(latency for run in runs for latency in run[1])
    return {"req_per_s": round(len(ordered) / elapsed, 1), "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1)}


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process, or None once it has exited (a zombie has none; a reaped one is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            kb = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), None)
    except FileNotFoundError:
        return None
    return None if kb is None else round(kb / 1024, 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cleanup(url: str) -> None:
    if url.startswith("sqlite:///"):
        shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
