"""Pages and lists at scale: bulk-load N cases (one in ten overdue), serve the app, and time the pages and
API lists staff open most, as a section chief. A list page must not grow with the stored total; the
overdue view and the dashboard grow with what is overdue or was ever timed, and say so in their figures.

    .venv/bin/python -m benchmarks.pages_at_scale [cases]
"""
import json
import re
import sys
import time

import httpx

from benchmarks.common import cleanup, fresh_database, serve
from benchmarks.sweep_scaling import bulk_load
from services.demo import DEMO_PASSWORD

PAGES = ("/tips", "/tips?status=registered", "/tips/5000", "/overdue", "/work", "/dashboard", "/inbox",
         "/referrals", "/rewards", "/supervision")
API = ("/api/v1/tips", "/api/v1/tips?overdue=true", "/api/v1/tips?overdue=false", "/api/v1/tips?status=accepted",
       "/api/v1/tips/5000", "/api/v1/tips/5000/history", "/api/v1/escalations", "/api/v1/inbox")


def logged_in(base: str) -> tuple[httpx.Client, dict]:
    """A browser-like client with the chief's page session, and the chief's API header."""
    client = httpx.Client(base_url=base, timeout=600)
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "chief", "password": DEMO_PASSWORD, "csrf_token": form},
                headers={"Origin": base})
    token = client.post("/api/v1/auth/token", json={"username": "chief", "password": DEMO_PASSWORD}).json()
    return client, {"Authorization": f"Bearer {token['access_token']}"}


def fastest_ms(client: httpx.Client, path: str, headers: dict, tries: int = 3) -> float:
    """The best of `tries` loads (the first warms the caches); a page that fails stops the run."""
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        best = min(best, time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    return round(best * 1000, 1)


def main(cases: int = 1_000_000) -> dict:
    url, database = fresh_database()
    started = time.perf_counter()
    bulk_load(database, 1000, 1000 + cases // 10, due=True)
    bulk_load(database, 1000 + cases // 10, 1000 + cases, due=False)
    if not database.is_sqlite:  # what autovacuum does to a table after a bulk load, before anyone reads it
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    seeded = time.perf_counter() - started
    database.dispose()
    server, base = serve("api.main:app", url)
    try:
        client, header = logged_in(base)
        try:
            pages = {path: fastest_ms(client, path, {}) for path in PAGES}
            api = {path: fastest_ms(client, path, header) for path in API}
        finally:
            client.close()
    finally:
        server.terminate()
        server.wait()
        cleanup(url)
    return {"database": url.split(":")[0], "cases": cases, "overdue": cases // 10, "seed_s": round(seeded, 1),
            "page_ms": pages, "api_ms": api}


if __name__ == "__main__":
    print(json.dumps(main(*(int(a) for a in sys.argv[1:])), ensure_ascii=False, indent=2))
