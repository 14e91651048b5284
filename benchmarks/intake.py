"""Intake: POST a tip (audit, deadline, outbox-ready rows) at concurrency 20, against a bare endpoint
inserting one row into the same database with the same server settings. Goal: ratio >= 0.5, p99 < 100 ms.

    .venv/bin/python -m benchmarks.intake [requests]
"""
import json
import sys

import httpx

from benchmarks.common import cleanup, fresh_database, load, rss_mb, serve
from services.demo import DEMO_PASSWORD

TIP = {"channel": "phone", "institution_id": 1, "facts": "挂床住院，虚构住院天数骗取医保基金", "anonymous": False,
       "reporter": {"name": "压测举报人", "phone": "13900000000"}}


def main(requests: int = 2000, concurrency: int = 20) -> dict:
    url, database = fresh_database()
    database.dispose()
    bare, bare_base = serve("benchmarks.bare_app:app", url)
    try:
        load("POST", f"{bare_base}/rows", requests=200, concurrency=concurrency, body={"facts": "warm-up"})
        baseline = load("POST", f"{bare_base}/rows", requests=requests, concurrency=concurrency,
                        body={"facts": TIP["facts"]})
    finally:
        bare.terminate()
        bare.wait()
    app, base = serve("api.main:app", url)
    try:
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "desk", "password": DEMO_PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        load("POST", f"{base}/api/v1/tips", requests=200, concurrency=concurrency, headers=headers, body=TIP)
        intake = load("POST", f"{base}/api/v1/tips", requests=requests, concurrency=concurrency, headers=headers,
                      body=TIP)
        memory = rss_mb(app.pid)
    finally:
        app.terminate()
        app.wait()
        cleanup(url)
    return {"database": url.split(":")[0], "requests": requests, "concurrency": concurrency, "bare": baseline,
            "intake": intake, "ratio": round(intake["req_per_s"] / baseline["req_per_s"], 2),
            "api_rss_mb_after": memory}


if __name__ == "__main__":
    print(json.dumps(main(*(int(a) for a in sys.argv[1:])), ensure_ascii=False, indent=2))
