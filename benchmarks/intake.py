"""Intake: POST a tip (audit, deadline, outbox-ready rows) at concurrency 20, against a bare endpoint
inserting one row into the same database with the same server settings. Goal: ratio >= 0.5, p99 < 100 ms.

    .venv/bin/python -m benchmarks.intake [requests] [concurrency] [rounds]
"""
import json
import sys

import httpx

from benchmarks.common import cleanup, cpu_seconds, fresh_database, rss_mb, serve, summarize, timed_load
from services.demo import DEMO_PASSWORD

TIP = {"channel": "phone", "institution_id": 1, "facts": "挂床住院，虚构住院天数骗取医保基金", "anonymous": False,
       "reporter": {"name": "压测举报人", "phone": "13900000000"}}


def main(requests: int = 2000, concurrency: int = 20, rounds: int = 4) -> dict:
    """Both servers run side by side and take turns, `rounds` times each, so the speed drift of a shared
    machine falls on both sides alike instead of on the ratio."""
    url, database = fresh_database()
    database.dispose()
    bare, bare_base = serve("benchmarks.bare_app:app", url)
    app, base = serve("api.main:app", url)
    try:
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "desk", "password": DEMO_PASSWORD}).json()
        servers = {"bare": bare.pid, "intake": app.pid}
        sides = {"bare": dict(method="POST", url=f"{bare_base}/rows", body={"facts": TIP["facts"]}),
                 "intake": dict(method="POST", url=f"{base}/api/v1/tips", body=TIP,
                                headers={"Authorization": f"Bearer {token['access_token']}"})}
        runs, server_cpu = {side: [] for side in sides}, dict.fromkeys(sides, 0.0)
        for side, request in sides.items():  # warm-up
            timed_load(**request, requests=200, concurrency=concurrency)
        for _ in range(rounds):
            for side, request in sides.items():
                before = cpu_seconds(servers[side])
                runs[side].append(timed_load(**request, requests=requests // rounds, concurrency=concurrency))
                server_cpu[side] += cpu_seconds(servers[side]) - before
        memory = rss_mb(app.pid)
    finally:
        for process in (bare, app):
            process.terminate()
            process.wait()
        cleanup(url)
    baseline, intake = summarize(runs["bare"]), summarize(runs["intake"])
    for side, summary in (("bare", baseline), ("intake", intake)):
        summary["server_cpu_ms_per_req"] = round(server_cpu[side] * 1000 / (rounds * (requests // rounds)), 2)
    return {"database": url.split(":")[0], "requests": requests, "concurrency": concurrency, "rounds": rounds,
            "bare": baseline, "intake": intake, "ratio": round(intake["req_per_s"] / baseline["req_per_s"], 2),
            "api_rss_mb_after": memory}


if __name__ == "__main__":
    print(json.dumps(main(*(int(a) for a in sys.argv[1:])), ensure_ascii=False, indent=2))
