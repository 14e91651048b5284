"""The outbox relay: inbox, real SMTP (aiosmtpd), a real webhook receiver, retries, crash safety."""
import json
import socket
import threading
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from domain.enums import OutboxStatus
from domain.models import InboxMessage, Outbox, User
from notifications.channels import EmailChannel, RecordingChannel, WebhookChannel, sign
from services.escalation import sweep
from services.outbox import RelayConfig, relay_once
from services.runtime import Runtime
from tests.helpers import REPORTER, register
from tests.test_sweep import at


def overdue_tip(runtime, users, clock, day="2026-10-20"):
    """A tip whose filing deadline has passed and whose level-1 escalation is queued."""
    tip = register(runtime, users["desk"])
    clock.set(at(day))
    sweep(runtime)
    return tip


def rows(runtime, **where) -> list[Outbox]:
    query = select(Outbox).order_by(Outbox.id)
    for name, value in where.items():
        query = query.where(getattr(Outbox, name) == value)
    with runtime.db.read() as session:
        return list(session.exec(query))


def test_inbox_delivery_happens_once(runtime, users, clock):
    overdue_tip(runtime, users, clock)
    first = relay_once(runtime, {})
    second = relay_once(runtime, {})
    assert len(first.sent) == 2 and second.sent == []
    with runtime.db.read() as session:
        inbox = session.exec(select(InboxMessage.user_id, InboxMessage.title)).all()
    assert sorted(uid for uid, _ in inbox) == sorted([users["chief"].id, users["head"].id])
    assert all("超期督办" in title for _, title in inbox)


def test_failed_sends_back_off_then_end_visibly_failed(runtime, users, clock):
    email_runtime = Runtime(db=runtime.db, policy=runtime.policy, clock=clock, channels=frozenset({"inbox", "email"}))
    with runtime.db.write() as session:
        session.get(User, users["head"].id).email = "head@example.gov.cn"
    overdue_tip(email_runtime, users, clock)
    flaky = RecordingChannel("email", fail_times=10)
    config = RelayConfig(max_attempts=3, backoff_s=60)
    report = relay_once(email_runtime, {"email": flaky}, config)
    (email_row,) = rows(runtime, channel="email")
    assert report.retried == [email_row.id] and email_row.status == OutboxStatus.PENDING
    assert email_row.next_attempt_at == clock.now + timedelta(seconds=60)
    assert relay_once(email_runtime, {"email": flaky}, config).sent == []  # not due before the back-off
    clock.advance(seconds=60)
    relay_once(email_runtime, {"email": flaky}, config)
    clock.advance(seconds=120)
    report = relay_once(email_runtime, {"email": flaky}, config)
    (email_row,) = rows(runtime, channel="email")
    assert report.failed == [email_row.id] and email_row.status == OutboxStatus.FAILED
    assert email_row.attempts == 3 and "simulated failure" in email_row.last_error
    assert flaky.sent == []


class DiesAfterSending(RecordingChannel):
    """Delivers, then the process 'dies' before the relay can record it (BaseException, not caught)."""

    def send(self, message):
        super().send(message)
        raise SystemExit("killed mid-delivery")


def test_delivery_interrupted_after_sending_is_not_sent_again(runtime, users, clock):
    webhook_runtime = Runtime(db=runtime.db, policy=runtime.policy, clock=clock,
                              channels=frozenset({"inbox", "webhook"}))
    overdue_tip(webhook_runtime, users, clock)
    dying = DiesAfterSending("webhook")
    with pytest.raises(SystemExit):
        relay_once(webhook_runtime, {"webhook": dying}, RelayConfig(lease_s=300))
    (hook,) = rows(runtime, channel="webhook")
    assert hook.status == OutboxStatus.SENDING and len(dying.sent) == 1
    healthy = RecordingChannel("webhook")
    relay_once(webhook_runtime, {"webhook": healthy}, RelayConfig(lease_s=300))
    assert healthy.sent == []  # still within the lease: left alone
    clock.advance(seconds=301)
    report = relay_once(webhook_runtime, {"webhook": healthy}, RelayConfig(lease_s=300))
    (hook,) = rows(runtime, channel="webhook")
    assert report.uncertain == [hook.id] and hook.status == OutboxStatus.UNCERTAIN
    assert healthy.sent == [] and len(dying.sent) == 1  # detected and recorded, never sent twice


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def test_email_arrives_at_a_real_smtp_server_without_reporter_identity(runtime, users, clock):
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        email_runtime = Runtime(db=runtime.db, policy=runtime.policy, clock=clock,
                                channels=frozenset({"inbox", "email"}))
        with runtime.db.write() as session:
            session.get(User, users["chief"].id).email = "chief@example.gov.cn"
        tip = overdue_tip(email_runtime, users, clock)
        channel = EmailChannel("127.0.0.1", port, "fundwatch@example.gov.cn")
        report = relay_once(email_runtime, {"email": channel})
    finally:
        controller.stop()
    assert len(handler.messages) == 1 and len(report.sent) == 3
    envelope = handler.messages[0]
    text = envelope.content.decode("utf-8", errors="replace")
    assert envelope.rcpt_tos == ["chief@example.gov.cn"]
    mail = message_from_bytes(envelope.content)
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject.startswith("【超期督办·第1级】") and tip.number in subject
    body = mail.get_payload(decode=True).decode("utf-8")
    assert tip.number in body
    for secret in (REPORTER.name, REPORTER.phone, REPORTER.id_number):
        assert secret not in body and secret not in subject and secret not in text


class Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_posts_signed_json(runtime, users, clock):
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        webhook_runtime = Runtime(db=runtime.db, policy=runtime.policy, clock=clock,
                                  channels=frozenset({"inbox", "webhook"}))
        tip = overdue_tip(webhook_runtime, users, clock)
        url = f"http://127.0.0.1:{server.server_address[1]}/robot"
        relay_once(webhook_runtime, {"webhook": WebhookChannel(url, "s3cret")})
    finally:
        server.shutdown()
    ((headers, body),) = Receiver.received
    assert headers["X-FundWatch-Signature"] == sign("s3cret", headers["X-FundWatch-Timestamp"], body)
    payload = json.loads(body)
    assert tip.number in payload["text"]["content"] and payload["idempotency_key"] == headers["Idempotency-Key"]


def test_a_second_cause_queues_nothing_in_the_same_transaction_or_a_later_one(runtime, users):
    """The key check sees rows the transaction has only added (it reads without flushing) and rows stored."""
    from notifications.templates import MessageKind
    from services.context import SYSTEM
    from services.outbox import notify

    tip = register(runtime, users["desk"])
    cause = dict(people=[users["chief"], users["head"]], kind=MessageKind.DEADLINE_REMINDER, key=f"tip:{tip.id}:x",
                 subject_type="tip", subject_id=tip.id,
                 context={"number": tip.number, "stage": "已登记", "deadline_label": "受理", "last_day": "2026-10-20",
                          "provisional": False, "level": 0, "step_label": "提醒", "days_left": 1, "days_overdue": 0,
                          "red_since": "2026-10-20 17:00"})
    with runtime.write(SYSTEM) as ctx:
        notify(ctx, **cause)
        notify(ctx, **cause)
    with runtime.write(SYSTEM) as ctx:
        notify(ctx, **cause)
    assert sorted(row.recipient_id for row in rows(runtime, subject_id=tip.id)) == \
        sorted([users["chief"].id, users["head"].id])
