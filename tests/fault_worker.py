"""A worker the fault tests start as a real process and kill -9 mid-work (not a test module itself)."""
import sys
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from db.engine import Database
from domain.models import User
from domain.policy import load_policy
from notifications.channels import WebhookChannel
from services.escalation import sweep
from services.outbox import RelayConfig, relay_once
from services.runtime import Runtime
from settings import Settings
from tests.helpers import register, send

FAR = datetime(2027, 3, 1, tzinfo=timezone.utc)


def runtime(url: str, now: datetime | None = None, channels=frozenset({"inbox"})) -> Runtime:
    clock = (lambda: now) if now else (lambda: datetime.now(timezone.utc))
    return Runtime(db=Database(url), policy=load_policy(Settings().policy_file), clock=clock, channels=channels)


def transitions(url: str, rounds: int) -> None:
    """Register tips and move each along, one transaction per step, printing as it goes."""
    rt = runtime(url, datetime(2026, 9, 21, 2, tzinfo=timezone.utc))
    with rt.db.read() as session:
        users = {u.username: u for u in session.exec(select(User))}
    for i in range(rounds):
        tip = register(rt, users["desk"])
        send(rt, users["chief"], tip.id, "accept")
        send(rt, users["desk"], tip.id, "notify_decision")
        send(rt, users["investigator"], tip.id, "start_investigation")
        print(i, flush=True)


def sweeps(url: str) -> None:
    rt = runtime(url, FAR, frozenset({"inbox", "webhook"}))
    while sweep(rt, limit=5).deadlines:
        print("swept", flush=True)
    print("done", flush=True)


def relays(url: str, hook: str) -> None:
    rt = runtime(url, FAR + timedelta(hours=1), frozenset({"inbox", "webhook"}))
    channels = {"webhook": WebhookChannel(hook, "secret")}
    while relay_once(rt, channels, RelayConfig(batch=3, lease_s=60)).sent:
        print("relayed", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    mode, url, *rest = sys.argv[1:]
    {"transitions": lambda: transitions(url, int(rest[0])), "sweep": lambda: sweeps(url),
     "relay": lambda: relays(url, rest[0])}[mode]()
