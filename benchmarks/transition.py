"""Transitions: service-level tip transitions per second (role, version, machine, audit, clocks, one
commit each) against the bare python-statemachine send on plain objects. Goal: >= 1,000/s on SQLite.

    .venv/bin/python -m benchmarks.transition [count] [rounds]
"""
import json
import sys
import time
from dataclasses import dataclass

from sqlmodel import select

from benchmarks.common import cleanup, fresh_database
from domain.models import User
from domain.policy import load_policy
from domain.schemas import TransitionIn
from services.context import Actor
from services.runtime import Runtime
from services.tips import transition_tip
from settings import Settings
from states.tip import TipMachine
from tests.helpers import actor, register


@dataclass
class Plain:
    status: str = "registered"
    anonymous: bool = False
    decision_notified_at: object = None
    extension_count: int = 0


def bare(count: int) -> tuple[int, float]:
    started = time.perf_counter()
    for _ in range(count):
        TipMachine(Plain()).send("accept")
    return count, time.perf_counter() - started


def service(runtime: Runtime, chief: Actor, tip_ids: list[int]) -> tuple[int, float]:
    started = time.perf_counter()
    for tip_id in tip_ids:
        with runtime.write(chief) as ctx:
            transition_tip(ctx, tip_id, TransitionIn(event="accept", expected_version=1))
    return len(tip_ids), time.perf_counter() - started


def per_second(runs: list[tuple[int, float]]) -> float:
    return sum(count for count, _ in runs) / sum(elapsed for _, elapsed in runs)


def main(count: int = 2000, rounds: int = 4) -> dict:
    """The two sides take turns, `rounds` times each, so a shared machine's speed drift falls on both."""
    url, database = fresh_database()
    runtime = Runtime(db=database, policy=load_policy(Settings().policy_file))
    with database.read() as session:
        users = {u.username: u for u in session.exec(select(User))}
    tip_ids = [register(runtime, users["desk"]).id for _ in range(count + 100)]
    chief = actor(users["chief"])
    service(runtime, chief, tip_ids[:100])  # warm-up
    share = count // rounds
    bare_runs, service_runs = [], []
    for first in range(100, 100 + rounds * share, share):
        bare_runs.append(bare(share))
        service_runs.append(service(runtime, chief, tip_ids[first:first + share]))
    database.dispose()
    cleanup(url)
    per_s, baseline = per_second(service_runs), per_second(bare_runs)
    return {"database": url.split(":")[0], "transitions": rounds * share, "rounds": rounds,
            "service_per_s": round(per_s), "bare_machine_send_per_s": round(baseline),
            "ratio": round(per_s / baseline, 3)}


if __name__ == "__main__":
    print(json.dumps(main(*(int(a) for a in sys.argv[1:])), indent=2))
