"""The one place that reads the environment (12-factor): every setting declared once, with its variable.

Each field names its environment variable, type, default and meaning; .env.example lists the same
variables (tests/unit/test_settings.py holds the two together). `Settings.from_env()` (and
`get_settings()`) read the process environment, an empty value counting as unset; `Settings(...)`
takes only the values given, over the defaults, so a test's settings never depend on the shell.
A value of the wrong type is a clear error naming the variable, never a silent default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


class Settings(BaseSettings):
    """Every setting of every process (engine, API, workers, CLI); see .env.example for each one's use."""

    model_config = SettingsConfigDict(
        case_sensitive=True,  # DATABASE_URL, never database_url: the names are the documented ones
        env_ignore_empty=True,  # `FOO=` in a .env file means "the default", as .env.example says
        frozen=True,
        extra="forbid",
        validate_by_name=True,  # Settings(database_url=...) in code, DATABASE_URL in the environment
        validate_by_alias=True,
    )

    # ---- Servers. Unset DATABASE_URL / REDIS_URL: the CLI starts embedded servers under data_dir.
    database_url: str | None = Field(
        default=None, validation_alias="DATABASE_URL", description="PostgreSQL, plain postgresql:// form"
    )
    redis_url: str | None = Field(
        default=None, validation_alias="REDIS_URL", description="Redis for live state"
    )
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        validation_alias="MQTT_URL",
        description="the broker; mqtts:// for TLS",
    )
    mqtt_username: str | None = Field(default=None, validation_alias="MQTT_USERNAME", description="MQTT user")
    mqtt_password: str | None = Field(
        default=None, validation_alias="MQTT_PASSWORD", description="MQTT password"
    )
    mqtt_ca_file: str | None = Field(
        default=None, validation_alias="MQTT_CA_FILE", description="CA bundle of an mqtts:// broker"
    )
    mqtt_client_id: str = Field(
        default="gridscore-engine",
        validation_alias="MQTT_CLIENT_ID",
        description="unique per connected process",
    )
    mqtt_input_prefix: str = Field(
        default="v1/", validation_alias="MQTT_INPUT_PREFIX", description="feed topics"
    )
    mqtt_output_prefix: str = Field(
        default="f1/scoring/", validation_alias="MQTT_OUTPUT_PREFIX", description="score topics"
    )
    mqtt_rejected_topic: str = Field(
        default="f1/ingest/rejected", validation_alias="MQTT_REJECTED_TOPIC", description="rejected inputs"
    )
    mqtt_protocol: str = Field(
        default="3.1.1", validation_alias="MQTT_PROTOCOL", description='"3.1.1" or "5"'
    )
    mqtt_session_expiry_s: int = Field(
        default=86_400,
        validation_alias="MQTT_SESSION_EXPIRY_S",
        description="MQTT 5 only: how long the broker keeps the engine's session",
    )
    mqtt_journal: Path | None = Field(
        default=None, validation_alias="MQTT_JOURNAL", description="unset: data_dir/journal/<client id>.jsonl"
    )
    mqtt_league_top_n: int = Field(
        default=10, validation_alias="MQTT_LEAGUE_TOP_N", description="teams per league topic; 0: none"
    )
    mqtt_bulk_interval_ms: int = Field(
        default=5_000,
        validation_alias="MQTT_BULK_INTERVAL_MS",
        description="league tops and team totals: at most one publish round per interval",
    )
    mqtt_team_topics: bool = Field(
        default=False,
        validation_alias="MQTT_TEAM_TOPICS",
        description="per-team totals on f1/scoring/<meeting>/teams/<team>: opt-in",
    )
    mqtt_bulk_max_rate: int = Field(
        default=2_000,
        validation_alias="MQTT_BULK_MAX_RATE",
        description="league and team messages per second, at most (0: no cap)",
    )
    recovery_dir: Path | None = Field(
        default=None,
        validation_alias="GRIDSCORE_RECOVERY_DIR",
        description="unset: data_dir/recovery/<client id>",
    )
    snapshot_interval_ms: int = Field(
        default=1_000,
        validation_alias="GRIDSCORE_SNAPSHOT_INTERVAL_MS",
        description="recovery snapshot period",
    )
    data_dir: Path = Field(
        default=Path(".gridscore"),
        validation_alias="GRIDSCORE_DATA_DIR",
        description="embedded servers, journal, recovery state",
    )

    # ---- Engine.
    ruleset: str | None = Field(
        default=None,
        validation_alias="GRIDSCORE_RULESET",
        description="a file name under scoring/rulesets/ without .toml; unset: scoring's DEFAULT_RULESET",
    )
    window_ms: int = Field(default=250, validation_alias="GRIDSCORE_WINDOW_MS", description="scoring window")
    lateness_ms: int = Field(
        default=500,
        validation_alias="GRIDSCORE_LATENESS_MS",
        description="how late an event may still be scored",
    )
    team_shards: int = Field(
        default=1,
        ge=1,
        validation_alias="GRIDSCORE_TEAM_SHARDS",
        description="shards a weekend's teams are split into (Bytewax keys a cluster spreads)",
    )
    leaderboard_top_n: int = Field(
        default=100,
        validation_alias="GRIDSCORE_LEADERBOARD_TOP_N",
        description="teams in the live leaderboard",
    )
    pending_ttl_ms: int = Field(
        default=30_000,
        validation_alias="GRIDSCORE_PENDING_TTL_MS",
        description="wall time a message waits for its session or car, then rejected",
    )
    max_waiting_messages: int = Field(
        default=20_000,
        validation_alias="GRIDSCORE_MAX_WAITING_MESSAGES",
        description="messages waiting for their session or car, at most",
    )
    max_sessions: int = Field(
        default=128,
        validation_alias="GRIDSCORE_MAX_SESSIONS",
        description="sessions held in the flow's state",
    )
    max_meetings: int = Field(
        default=16, validation_alias="GRIDSCORE_MAX_MEETINGS", description="meetings held in the flow's state"
    )
    session_idle_h: int = Field(
        default=96,
        validation_alias="GRIDSCORE_SESSION_IDLE_H",
        description="a session without input for this long (wall time) is let go",
    )
    date_slack_h: int = Field(
        default=24,
        validation_alias="GRIDSCORE_DATE_SLACK_H",
        description="an event dated further than this outside its session is invalid",
    )

    # ---- API.
    api_host: str = Field(
        default="127.0.0.1", validation_alias="API_HOST", description="address the API binds to"
    )
    api_port: int = Field(default=8000, validation_alias="API_PORT", description="port the API listens on")
    api_workers: int = Field(
        default=1,
        ge=1,
        validation_alias="API_WORKERS",
        description="uvicorn worker processes of `gridscore api` (BENCHMARKS.md: race-time reads)",
    )
    jwt_secret: str | None = Field(
        default=None, validation_alias="JWT_SECRET", description="signs the API's JWTs"
    )
    environment: Literal["development", "production"] = Field(
        default="development",
        validation_alias="GRIDSCORE_ENV",
        description="production: the API refuses to start with JWT_SECRET unset, a change-me or short",
    )
    jwt_access_ttl_s: int = Field(
        default=900, validation_alias="JWT_ACCESS_TTL_S", description="access token life"
    )
    jwt_refresh_ttl_s: int = Field(
        default=14 * 24 * 3600, validation_alias="JWT_REFRESH_TTL_S", description="refresh token life"
    )
    jwt_refresh_grace_s: int = Field(
        default=10,
        validation_alias="JWT_REFRESH_GRACE_S",
        description="a replaced refresh token still gets the same new pair (two tabs)",
    )
    jwt_session_max_age_s: int = Field(
        default=30 * 24 * 3600,
        validation_alias="JWT_SESSION_MAX_AGE_S",
        description="a login ends after this, however often refreshed",
    )
    api_auth_rate_limit: int = Field(
        default=10,
        validation_alias="API_AUTH_RATE_LIMIT",
        description="log-in, registration, refresh, password change per address per unit",
    )
    api_auth_rate_unit: str = Field(
        default="minute", validation_alias="API_AUTH_RATE_UNIT", description="second, minute, hour or day"
    )
    api_public_rate_limit: int = Field(
        default=600, validation_alias="API_PUBLIC_RATE_LIMIT", description="other requests without a token"
    )
    api_health_timeout_ms: int = Field(
        default=1_500,
        validation_alias="API_HEALTH_TIMEOUT_MS",
        description="per dependency checked by /health",
    )
    api_read_cache_ms: int = Field(
        default=30_000,
        ge=0,
        validation_alias="API_READ_CACHE_MS",
        description="how long a process reuses what hot reads learnt from Postgres (access, rosters)",
    )
    api_cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="API_CORS_ORIGINS",
        description="browser origins allowed to call the API, comma-separated (none: no CORS headers)",
    )
    live_ticket_ttl_s: int = Field(
        default=60,
        validation_alias="LIVE_TICKET_TTL_S",
        description="a live-stream ticket is valid this long, once",
    )
    live_keepalive_s: int = Field(
        default=15,
        validation_alias="LIVE_KEEPALIVE_S",
        description="a live stream's comment after this much silence",
    )
    live_push_interval_ms: int = Field(
        default=200,
        validation_alias="LIVE_PUSH_INTERVAL_MS",
        description="a live stream pushes at most this often (under the engine's window interval)",
    )
    live_stream_max_s: int = Field(
        default=900, validation_alias="LIVE_STREAM_MAX_S", description="a live stream ends after this long"
    )

    # ---- Celery, sync and notifications.
    celery_broker_url: str | None = Field(
        default=None, validation_alias="CELERY_BROKER_URL", description="Celery's broker; unset: REDIS_URL"
    )
    sync_source_url: str = Field(
        default="https://api.jolpi.ca",
        validation_alias="SYNC_SOURCE_URL",
        description="results and calendar source",
    )
    smtp_host: str | None = Field(
        default=None, validation_alias="SMTP_HOST", description="unset: e-mail is off"
    )
    smtp_port: int = Field(default=25, validation_alias="SMTP_PORT", description="SMTP port")
    smtp_username: str | None = Field(
        default=None, validation_alias="SMTP_USERNAME", description="unset: no auth"
    )
    smtp_password: str | None = Field(
        default=None, validation_alias="SMTP_PASSWORD", description="SMTP password"
    )
    smtp_from: str = Field(
        default="gridscore@localhost",
        validation_alias="SMTP_FROM",
        description="sender of notification e-mails",
    )
    smtp_starttls: bool = Field(
        default=False, validation_alias="SMTP_STARTTLS", description="STARTTLS on SMTP"
    )
    celery_visibility_timeout_s: int = Field(
        default=3_600,
        validation_alias="CELERY_VISIBILITY_TIMEOUT_S",
        description="unacked tasks of a dead worker come back after this",
    )
    beat_check_s: int = Field(
        default=60,
        validation_alias="BEAT_CHECK_S",
        description="period of beat's checks: final results, lock reminders, price moves",
    )
    lock_check_s: int = Field(
        default=10,
        validation_alias="LOCK_CHECK_S",
        description="period of beat's roster lock (a weekend locks this soon after its lock time)",
    )
    sync_season: int | None = Field(
        default=None, validation_alias="SYNC_SEASON", description="unset (or 0): the current UTC year"
    )
    sync_timeout_s: int = Field(
        default=30, validation_alias="SYNC_TIMEOUT_S", description="per source request"
    )
    sync_pace_ms: int = Field(
        default=250, validation_alias="SYNC_PACE_MS", description="pause between source requests"
    )
    sync_retry_backoff_s: int = Field(
        default=30,
        validation_alias="SYNC_RETRY_BACKOFF_S",
        description="first retry delay of a failed sync, doubled on each retry",
    )
    notify_chunk_size: int = Field(
        default=100, validation_alias="NOTIFY_CHUNK_SIZE", description="notifications per delivery task"
    )
    notify_lookback_h: int = Field(
        default=72,
        validation_alias="NOTIFY_LOOKBACK_H",
        description="beat notifies final sessions that ended within this many hours",
    )
    notify_mqtt: bool = Field(
        default=True, validation_alias="NOTIFY_MQTT", description="notifications on MQTT too"
    )
    mqtt_notification_prefix: str = Field(
        default="f1/notifications/",
        validation_alias="MQTT_NOTIFICATION_PREFIX",
        description="<prefix><user_id>",
    )
    reminder_hours: int = Field(
        default=24,
        validation_alias="REMINDER_HOURS",
        description="remind team owners this long before a lock",
    )

    # ---- OpenF1 (`gridscore feed openf1`, `gridscore live --source openf1`); see docs/openf1.md.
    openf1_api_url: str = Field(
        default="https://api.openf1.org", validation_alias="OPENF1_API_URL", description="OpenF1's REST API"
    )
    openf1_token_url: str = Field(
        default="https://api.openf1.org/token",  # a URL, not a secret
        validation_alias="OPENF1_TOKEN_URL",
        description="OpenF1's token endpoint (https only)",
    )
    openf1_mqtt_url: str = Field(
        default="mqtts://mqtt.openf1.org:8883",
        validation_alias="OPENF1_MQTT_URL",
        description="OpenF1's broker",
    )
    openf1_username: str | None = Field(
        default=None,
        validation_alias="OPENF1_USERNAME",
        description="the account's e-mail; also the MQTT user",
    )
    openf1_password: str | None = Field(
        default=None,
        validation_alias="OPENF1_PASSWORD",
        description="the account's password (never logged)",
        repr=False,
    )
    openf1_ca_file: str | None = Field(
        default=None, validation_alias="OPENF1_CA_FILE", description="unset: the system's CAs"
    )
    openf1_client_id: str | None = Field(
        default=None,
        validation_alias="OPENF1_CLIENT_ID",
        description="unset: gridscore-<hash of the user name>, stable per account",
    )
    openf1_pace_ms: int = Field(
        default=350, validation_alias="OPENF1_PACE_MS", description="pause between REST requests"
    )
    openf1_silence_s: int = Field(
        default=60,
        validation_alias="OPENF1_SILENCE_S",
        description="live: reconnect after this long without a message (0: never)",
    )
    openf1_cache_dir: Path | None = Field(
        default=None, validation_alias="OPENF1_CACHE_DIR", description="unset: data_dir/openf1-cache"
    )

    # ---- Operations.
    log_level: str = Field(
        default="INFO", validation_alias="LOG_LEVEL", description="DEBUG, INFO, WARNING, ERROR"
    )
    log_format: str = Field(default="json", validation_alias="LOG_FORMAT", description="json or text")
    metrics_port: int = Field(
        default=9108,
        validation_alias="METRICS_PORT",
        description="the engine's /metrics and /health; 0: a free port (logged), below 0: neither",
    )
    ingest_stall_s: int = Field(
        default=60,
        validation_alias="GRIDSCORE_INGEST_STALL_S",
        description="/health: unhealthy when messages wait this long untaken or unreceived",
    )
    sentry_dsn: str | None = Field(
        default=None, validation_alias="SENTRY_DSN", description="unset: no error tracking"
    )
    sentry_environment: str = Field(
        default="production", validation_alias="SENTRY_ENVIRONMENT", description="environment shown in Sentry"
    )
    sentry_traces_sample_rate: float = Field(
        default=0.0,
        validation_alias="SENTRY_TRACES_SAMPLE_RATE",
        description="share of requests traced for performance (0: errors only)",
    )
    backup_dir: Path | None = Field(
        default=None, validation_alias="BACKUP_DIR", description="unset: data_dir/backups"
    )
    backup_keep_daily: int = Field(
        default=30, validation_alias="BACKUP_KEEP_DAILY", description="keep the newest dump of this many days"
    )
    backup_keep_weekly: int = Field(
        default=0, validation_alias="BACKUP_KEEP_WEEKLY", description="... and of this many ISO weeks"
    )
    backup_keep_monthly: int = Field(
        default=0, validation_alias="BACKUP_KEEP_MONTHLY", description="... and of this many months"
    )

    @field_validator("api_cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """API_CORS_ORIGINS is a comma-separated list; blanks dropped."""
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("sync_season", mode="after")
    @classmethod
    def _zero_is_unset(cls, value: int | None) -> int | None:
        """SYNC_SEASON=0 means the current year, as an empty value does."""
        return value or None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Constructed values only: the environment is read by `from_env`, so `Settings(...)` means
        exactly what it says (a test's settings never pick up the shell's)."""
        return (init_settings,)

    @classmethod
    def from_env(cls) -> Settings:
        """The process environment over the defaults; an empty variable counts as unset."""
        return cls(**EnvSettingsSource(cls)())

    @property
    def openf1_cache(self) -> Path:
        """Where OpenF1 REST answers are kept, one file per request URL."""
        return self.openf1_cache_dir or self.data_dir / "openf1-cache"

    @property
    def backups(self) -> Path:
        """Where `gridscore backup` and the nightly task write dumps."""
        return self.backup_dir or self.data_dir / "backups"

    @property
    def notifications_enabled(self) -> bool:
        """Queue notifications only where a Celery broker is configured (never on embedded servers)."""
        return bool(self.celery_broker_url or self.redis_url)


def env_names() -> dict[str, str]:
    """Each setting's environment variable, by field name (for docs and the .env.example test)."""
    return {name: str(field.validation_alias) for name, field in Settings.model_fields.items()}


def get_settings() -> Settings:
    """The settings of this process, read from the environment at each call (tests change it)."""
    return Settings.from_env()
