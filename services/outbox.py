"""The outbox: messages written with their cause, delivered later by the relay exactly once.

A row is claimed (status 'sending') in one transaction, sent outside any transaction, and marked in
another. If the relay dies after claiming, the row stays 'sending' past its lease and is then marked
'uncertain' (shown for a person to check) instead of being sent a second time. Inbox rows are delivered
inside the marking transaction, so they are exactly-once by construction.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import select

from domain.enums import OutboxStatus
from domain.models import InboxMessage, Outbox, User
from notifications.channels import Channel, DeliveryError, Message
from notifications.templates import MessageKind, render
from services.context import SYSTEM, Context
from services.runtime import Runtime


def notify(ctx: Context, *, people: list[User], kind: MessageKind, context: dict, key: str,
           subject_type: str, subject_id: int, deadline_id: int | None = None,
           contacts: list[tuple[str, str]] = ()) -> None:
    """Queue one rendered message per person and channel (inbox; e-mail if they have an address and the
    system has SMTP), one e-mail per outside contact (name, address) such as a department's leader, and one
    for the webhook robot if configured. `key` + recipient + channel is unique: a second cause sends nothing."""
    targets: list[tuple[User | None, str, str | None, str]] = []
    for person in people:
        targets.append((person, "inbox", None, f"u{person.id}"))
        if person.email and "email" in ctx.channels:
            targets.append((person, "email", person.email, f"u{person.id}"))
    if "email" in ctx.channels:
        targets += [(None, "email", address, f"c:{address}") for _name, address in contacts]
    if "webhook" in ctx.channels:
        targets.append((None, "webhook", None, "robot"))
    names = dict((address, name) for name, address in contacts)
    keys = [f"{key}:{who}:{channel}" for _person, channel, _address, who in targets]
    queued = _queued(ctx.session, keys)
    for (person, channel, address, _who), message_key in zip(targets, keys):
        if message_key in queued:
            continue
        title, body = render(kind, **context, recipient=person.display_name if person else names.get(address, "各位"))
        ctx.session.add(Outbox(key=message_key, kind=kind.value, channel=channel, title=title, body=body,
                               subject_type=subject_type, subject_id=subject_id,
                               recipient_id=person.id if person else None, address=address,
                               deadline_id=deadline_id, next_attempt_at=ctx.now, created_at=ctx.now))


def _queued(session, keys: list[str]) -> set[str]:
    """Those of `keys` already stored, or waiting in this session to be. One read, without flushing: a flush
    before each read would write the sweep's rows one batch at a time instead of once at commit."""
    if not keys:
        return set()
    pending = {row.key for row in session.new if isinstance(row, Outbox)}
    with session.no_autoflush:
        stored = set(session.exec(select(Outbox.key).where(Outbox.key.in_(keys))))
    return stored | (pending & set(keys))


@dataclass
class RelayReport:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    uncertain: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class RelayConfig:
    max_attempts: int = 5
    backoff_s: int = 60
    lease_s: int = 300
    batch: int = 100


def relay_once(runtime: Runtime, channels: dict[str, Channel], config: RelayConfig = RelayConfig()) -> RelayReport:
    """Deliver what is due now: expire stale claims, claim a batch, send each, record each outcome."""
    report = RelayReport()
    with runtime.write(SYSTEM) as ctx:
        report.uncertain = _expire_stale_claims(ctx, config)
        claimed = _claim(ctx, config)
    for row_id, channel_name in claimed:
        _deliver(runtime, row_id, channel_name, channels, config, report)
    return report


def _expire_stale_claims(ctx: Context, config: RelayConfig) -> list[int]:
    cutoff = ctx.now - timedelta(seconds=config.lease_s)
    query = select(Outbox).where(Outbox.status == OutboxStatus.SENDING, Outbox.claimed_at < cutoff)
    rows = list(ctx.session.exec(query.with_for_update(skip_locked=True)))
    for row in rows:
        row.status, row.last_error = OutboxStatus.UNCERTAIN, "投递中断：无法确认是否已送达，未自动重发"
    return [row.id for row in rows]


def _claim(ctx: Context, config: RelayConfig) -> list[tuple[int, str]]:
    query = (select(Outbox).where(Outbox.status == OutboxStatus.PENDING, Outbox.next_attempt_at <= ctx.now)
             .order_by(Outbox.next_attempt_at, Outbox.id).limit(config.batch).with_for_update(skip_locked=True))
    rows = list(ctx.session.exec(query))
    for row in rows:
        row.status, row.claimed_at, row.attempts = OutboxStatus.SENDING, ctx.now, row.attempts + 1
    return [(row.id, row.channel) for row in rows]


def _deliver(runtime: Runtime, row_id: int, channel_name: str, channels: dict[str, Channel],
             config: RelayConfig, report: RelayReport) -> None:
    error = None if channel_name == "inbox" else _send(runtime, row_id, channels.get(channel_name))
    with runtime.write(SYSTEM) as ctx:
        row = ctx.session.get(Outbox, row_id)
        if error is None:
            _mark_sent(ctx, row)
            report.sent.append(row_id)
        else:
            _mark_failed_attempt(ctx.now, row, error, config, report)


def _send(runtime: Runtime, row_id: int, channel: Channel | None) -> str | None:
    """Send one claimed row through its network channel; the error text, or None when delivered."""
    with runtime.db.read() as session:
        row = session.get(Outbox, row_id)
        message = Message(key=row.key, title=row.title, body=row.body, address=row.address)
        if channel is None:
            return f"channel {row.channel!r} is not configured"
    try:
        channel.send(message)
    except DeliveryError as exc:
        return str(exc)[:1000]
    return None


def _mark_sent(ctx: Context, row: Outbox) -> None:
    if row.channel == "inbox":
        ctx.session.add(InboxMessage(outbox_id=row.id, user_id=row.recipient_id, title=row.title, body=row.body,
                                     subject_type=row.subject_type, subject_id=row.subject_id, created_at=ctx.now))
    row.status, row.sent_at, row.last_error = OutboxStatus.SENT, ctx.now, None


def _mark_failed_attempt(now: datetime, row: Outbox, error: str, config: RelayConfig, report: RelayReport) -> None:
    row.last_error = error
    if row.attempts >= config.max_attempts:
        row.status = OutboxStatus.FAILED
        report.failed.append(row.id)
        return
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = now + timedelta(seconds=config.backoff_s * 2 ** (row.attempts - 1))
    report.retried.append(row.id)


def requeue(ctx: Context, row_id: int) -> Outbox:
    """An admin sends a failed or uncertain message again (after checking it did not arrive)."""
    from services.errors import NotFound, TransitionRefused

    row = ctx.session.get(Outbox, row_id)
    if row is None:
        raise NotFound(f"消息 {row_id} 不存在")
    if row.status not in (OutboxStatus.FAILED, OutboxStatus.UNCERTAIN):
        raise TransitionRefused("requeue", row.status, [], "只有发送失败或状态不明的消息可以重发")
    row.status, row.attempts, row.next_attempt_at, row.claimed_at = OutboxStatus.PENDING, 0, ctx.now, None
    return row
