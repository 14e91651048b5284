"""Sweep scaling: 1,000 due deadlines among 10,000 and then 1,000,000 stored cases (bulk loaded). The
sweep's time must not grow with the stored total (ratio 1M/10k <= 1.5) and an idle sweep at 1M must take
< 50 ms. Prints the query plan of the due query to show it uses the index.

    .venv/bin/python -m benchmarks.sweep_scaling [total_large] [total_small] [due]
"""
import json
import sys
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from benchmarks.common import cleanup, fresh_database
from domain.policy import load_policy
from services.escalation import due_deadline_ids, sweep
from services.runtime import Runtime
from settings import Settings

NOW = datetime(2026, 11, 23, 2, tzinfo=timezone.utc)
DUE = 1000
CHUNK = 20_000


def _iso(moment: datetime, sqlite: bool) -> str:
    return moment.replace(tzinfo=None).isoformat(" ") if sqlite else moment.isoformat()


def bulk_load(database, start: int, stop: int, *, due: bool) -> None:
    """Tips start..stop-1 with one filing deadline each; `due` ones fall due before NOW, others much later."""
    sqlite = database.is_sqlite
    registered = NOW - timedelta(days=40 if due else 1)
    next_action = NOW - timedelta(hours=1) if due else NOW + timedelta(days=14)
    with database.engine.begin() as conn:
        for low in range(start, stop, CHUNK):
            ids = range(low, min(low + CHUNK, stop))
            conn.execute(text(
                "INSERT INTO tip (id, number, status, version, channel, institution_id, facts, evidence, anonymous,"
                " registered_at, registered_by, extension_count) VALUES (:id, :number, 'registered', 1, 'phone', 1,"
                " 'bulk', '[]', true, :at, 1, 0)"),
                [{"id": i, "number": f"B{i:08d}", "at": _iso(registered, sqlite)} for i in ids])
            conn.execute(text(
                "INSERT INTO deadline (subject_type, subject_id, kind, unit, amount, start_at, due_at, last_day,"
                " provisional, status, escalation_level, next_action_at) VALUES ('tip', :id, 'filing_decision',"
                " 'working_days', 15, :start, :due, :last, false, 'open', 0, :next)"),
                [{"id": i, "start": _iso(registered, sqlite), "due": _iso(registered + timedelta(days=21), sqlite),
                  "last": (registered + timedelta(days=20)).date().isoformat(), "next": _iso(next_action, sqlite)}
                 for i in ids])


def timed_sweep(runtime: Runtime, due: int) -> tuple[float, int]:
    started = time.perf_counter()
    report = sweep(runtime, limit=due)
    return time.perf_counter() - started, report.deadlines


def measure(runtime: Runtime, database, total: int, offset: int, due: int) -> dict:
    bulk_load(database, offset, offset + due, due=True)
    busy, advanced = timed_sweep(runtime, due)
    idle, _ = timed_sweep(runtime, due)
    return {"stored_cases": total, "due": advanced, "sweep_s": round(busy, 3), "idle_sweep_ms": round(idle * 1000, 2)}


def plan(database) -> list[str]:
    query = "SELECT id FROM deadline WHERE status = 'open' AND next_action_at <= :now ORDER BY next_action_at LIMIT 1000"
    prefix = "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN "
    with database.engine.connect() as conn:
        rows = conn.execute(text(prefix + query), {"now": _iso(NOW, database.is_sqlite)}).all()
    return [" ".join(str(c) for c in row) for row in rows]


def main(large: int = 1_000_000, small: int = 10_000, due: int = DUE) -> dict:
    url, database = fresh_database()
    runtime = Runtime(db=database, policy=load_policy(Settings().policy_file), clock=lambda: NOW)
    bulk_load(database, 1000, 1000 + small - due, due=False)
    first = measure(runtime, database, small, 1000 + small, due)
    bulk_load(database, 1000 + small + due, 1000 + large, due=False)
    second = measure(runtime, database, large, 1000 + large + due, due)
    with database.read() as session:
        assert due_deadline_ids(session, NOW, 10) == []
    result = {"database": url.split(":")[0], "small": first, "large": second,
              "ratio_large_to_small": round(second["sweep_s"] / first["sweep_s"], 2), "plan": plan(database)}
    database.dispose()
    cleanup(url)
    return result


if __name__ == "__main__":
    print(json.dumps(main(*(int(a) for a in sys.argv[1:])), ensure_ascii=False, indent=2))
