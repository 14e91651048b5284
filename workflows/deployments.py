"""The served deployments (mirrored in prefect.yaml for `prefect deploy` against a shared server)."""
from prefect.schedules import Cron

from settings import Settings
from workflows.coordination import coordination_sweep, minutes_distribution
from workflows.flows import deadline_sweep, notification_relay

TIMEZONE = "Asia/Shanghai"


def deployments(settings: Settings) -> list:
    """Sweep and relay on their cron schedules, in Shanghai time."""
    return [
        deadline_sweep.to_deployment(name="deadline-sweep", schedule=Cron(settings.sweep_cron, timezone=TIMEZONE),
                                     tags=["fundwatch"]),
        notification_relay.to_deployment(name="notification-relay",
                                         schedule=Cron(settings.relay_cron, timezone=TIMEZONE), tags=["fundwatch"]),
        minutes_distribution.to_deployment(name="minutes-distribution",
                                           schedule=Cron(settings.sweep_cron, timezone=TIMEZONE), tags=["fundwatch"]),
        coordination_sweep.to_deployment(name="coordination-sweep",
                                         schedule=Cron(settings.sweep_cron, timezone=TIMEZONE), tags=["fundwatch"]),
    ]
