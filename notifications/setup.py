"""Build the network channels the settings configure."""
from notifications.channels import Channel, EmailChannel, WebhookChannel
from services.outbox import RelayConfig
from settings import Settings


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if settings.smtp_host:
        channels["email"] = EmailChannel(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                                         settings.smtp_username, settings.smtp_password, settings.smtp_starttls)
    if settings.webhook_url:
        channels["webhook"] = WebhookChannel(settings.webhook_url, settings.webhook_secret)
    return channels


def relay_config(settings: Settings) -> RelayConfig:
    return RelayConfig(max_attempts=settings.relay_max_attempts, backoff_s=settings.relay_backoff_s,
                       lease_s=settings.relay_lease_s)
