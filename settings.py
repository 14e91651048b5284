"""The one typed settings object; nothing else reads os.environ."""
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent
STATE_DIR = ROOT / "state"
DEV_SECRET = "dev-only-secret-change-me"
DEV_IDENTITY_KEY = "ZGV2LW9ubHktaWRlbnRpdHkta2V5LWNoYW5nZS1tZSE="  # a Fernet-format key, development only


class Settings(BaseSettings):
    """Runtime configuration, from FUNDWATCH_* / DATABASE_URL environment variables."""

    model_config = SettingsConfigDict(env_prefix="FUNDWATCH_", extra="ignore")

    environment: str = "development"
    database_url: str = Field(
        default=f"sqlite:///{STATE_DIR / 'fundwatch.db'}",
        validation_alias="DATABASE_URL",
    )
    state_dir: Path = STATE_DIR  # logs and Prefect's own database for the run command
    secret_key: str = DEV_SECRET
    # Keys sealing reporter and claimant identities (domain.sealing), comma-separated; the first one seals.
    identity_keys: str = DEV_IDENTITY_KEY
    policy_file: Path = ROOT / "policy" / "default.toml"
    calendar_dir: Path = ROOT / "data" / "calendar"
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = 12
    # Notifications: the in-app inbox always; e-mail when smtp_host is set; a webhook when webhook_url is.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "fundwatch@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    webhook_url: str | None = None
    webhook_secret: str = "dev-only-webhook-secret"
    relay_max_attempts: int = 5
    relay_backoff_s: int = 60
    relay_lease_s: int = 300
    # Prefect: sweep and relay schedules (cron, Asia/Shanghai) and the local server the run command starts.
    sweep_cron: str = "* * * * *"
    relay_cron: str = "* * * * *"
    prefect_port: int = 4200
    page_size_max: int = 200
    max_body_mb: int = 12                 # uploads are at most 10 MB; anything larger is refused with 413
    login_failures_per_15min: int = 5     # per user name and client
    receipt_lookups_per_min_client: int = 10
    receipt_lookups_per_min_global: int = 300

    @field_validator("secret_key")
    @classmethod
    def _no_placeholder_in_production(cls, value: str, info) -> str:
        """Refuse the development secret outside development."""
        env = info.data.get("environment", "development")
        if env != "development" and value == DEV_SECRET:
            raise ValueError("FUNDWATCH_SECRET_KEY must be set outside development")
        return value

    @field_validator("identity_keys")
    @classmethod
    def _real_identity_key_in_production(cls, value: str, info) -> str:
        """Refuse the development identity key outside development."""
        env = info.data.get("environment", "development")
        if env != "development" and DEV_IDENTITY_KEY in value.split(","):
            raise ValueError("FUNDWATCH_IDENTITY_KEYS must be set outside development")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """Settings read once per process."""
    return Settings()
