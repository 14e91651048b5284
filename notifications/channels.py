"""Network channels behind one tiny interface. The in-app inbox is not here: it is a table row,
delivered inside the relay's own transaction (services/outbox.py)."""
import hashlib
import hmac
import json
import smtplib
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

import httpx


class DeliveryError(Exception):
    """A send failed; the relay retries with back-off, then marks the message failed."""


@dataclass(frozen=True)
class Message:
    key: str            # the outbox key: also the e-mail Message-ID and the webhook idempotency key
    title: str
    body: str
    address: str | None


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Deliver or raise DeliveryError."""


@dataclass
class EmailChannel:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0
    name: str = "email"

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message.title, self.sender, message.address
        mail["Message-ID"] = f"<{hashlib.sha256(message.key.encode()).hexdigest()[:32]}@fundwatch>"
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"smtp: {exc}") from exc


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over 'timestamp.body', hex: what a receiving robot verifies."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass
class WebhookChannel:
    """JSON POST for government IM robots (政务微信/钉钉 style), signed with a shared secret."""

    url: str
    secret: str
    timeout_s: float = 10.0
    name: str = "webhook"

    def send(self, message: Message) -> None:
        body = json.dumps({"msgtype": "text", "text": {"content": f"{message.title}\n{message.body}"},
                           "idempotency_key": message.key}, ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-FundWatch-Timestamp": stamp,
                   "X-FundWatch-Signature": sign(self.secret, stamp, body), "Idempotency-Key": message.key}
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"webhook: HTTP {response.status_code}")


@dataclass
class RecordingChannel:
    """A test double that records what it was asked to send and can be told to fail."""

    name: str
    fail_times: int = 0
    sent: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise DeliveryError(f"{self.name}: simulated failure")
        self.sent.append(message)
