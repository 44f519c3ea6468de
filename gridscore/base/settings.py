"""The one place that reads the environment (12-factor). Every variable is listed in .env.example."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    return default if raw is None else int(raw)


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    return default if raw is None else raw.strip().lower() in ("1", "true", "yes", "on")


def _list(name: str) -> tuple[str, ...]:
    """A comma-separated list; blanks dropped."""
    return tuple(item.strip() for item in (_env(name) or "").split(",") if item.strip())


def _path(name: str) -> Path | None:
    raw = _env(name)
    return None if raw is None else Path(raw)


@dataclass(frozen=True, slots=True)
class Settings:
    # Servers. Unset DATABASE_URL / REDIS_URL: the CLI starts embedded servers under data_dir.
    database_url: str | None = None
    redis_url: str | None = None
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_ca_file: str | None = None
    mqtt_client_id: str = "gridscore-engine"
    mqtt_input_prefix: str = "v1/"
    mqtt_output_prefix: str = "f1/scoring/"
    mqtt_rejected_topic: str = "f1/ingest/rejected"
    mqtt_protocol: str = "3.1.1"  # or "5"
    mqtt_session_expiry_s: int = 86_400  # MQTT 5 only: how long the broker keeps the engine's session
    mqtt_journal: Path | None = None  # unset: data_dir/journal/<client id>.jsonl
    mqtt_league_top_n: int = 10
    mqtt_bulk_interval_ms: int = 5_000  # league tops and team totals: at most one publish round per interval
    mqtt_team_topics: bool = False  # per-team totals on f1/scoring/<meeting>/teams/<team>: opt-in
    mqtt_bulk_max_rate: int = 2_000  # league and team messages per second, at most (0: no cap)
    recovery_dir: Path | None = None  # unset: data_dir/recovery/<client id>
    snapshot_interval_ms: int = 1_000
    data_dir: Path = field(default_factory=lambda: Path(".gridscore"))
    # Engine.
    ruleset: str = "f1fantasy-2025"
    window_ms: int = 250
    lateness_ms: int = 500
    leaderboard_top_n: int = 100
    pending_ttl_ms: int = 30_000  # wall time a message waits for its session or car, then rejected
    max_waiting_messages: int = 20_000  # messages waiting for their session or car, at most
    max_sessions: int = 128  # announced sessions held in the flow's state, at most
    max_meetings: int = 16  # meetings held in the flow's state, at most
    session_idle_h: int = 96  # a session without input for this long (wall time) is let go
    date_slack_h: int = 24  # an event dated further than this outside its session is invalid
    # API.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    jwt_secret: str | None = None
    jwt_access_ttl_s: int = 900
    jwt_refresh_ttl_s: int = 14 * 24 * 3600
    jwt_refresh_grace_s: int = 10  # a replaced refresh token still gets the same new pair (two tabs)
    jwt_session_max_age_s: int = 30 * 24 * 3600  # a login ends after this, however often refreshed
    api_auth_rate_limit: int = 10  # log-in, registration, refresh, password change per address per unit
    api_auth_rate_unit: str = "minute"  # second, minute, hour or day
    api_public_rate_limit: int = 600  # other requests without a token per address per unit
    api_health_timeout_ms: int = 1_500  # per dependency checked by /health
    api_cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API (none: no CORS headers)
    live_ticket_ttl_s: int = 60  # a live-stream ticket (POST /api/live/tickets) is valid this long, once
    live_keepalive_s: int = 15  # a live stream sends a comment after this long without sending anything
    live_push_interval_ms: int = 1_000  # a live stream pushes at most once per interval (bursts coalesce)
    live_stream_max_s: int = 900  # a live stream ends after this long; the client reconnects (re-authorised)
    # Celery, sync and notifications.
    celery_broker_url: str | None = None
    sync_source_url: str = "https://api.jolpi.ca"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "gridscore@localhost"
    smtp_starttls: bool = False
    celery_visibility_timeout_s: int = 3_600  # unacked tasks of a dead worker come back after this
    beat_check_s: int = 60  # period of beat's checks: final results, lock reminders, price moves
    sync_season: int | None = None  # unset: the current UTC year
    sync_timeout_s: int = 30
    sync_pace_ms: int = 250  # pause between source requests (Jolpica allows a few per second)
    sync_retry_backoff_s: int = 30  # first retry delay of a failed sync, doubled on each retry
    notify_chunk_size: int = 100  # notifications per delivery task
    notify_lookback_h: int = 72  # beat notifies final sessions that ended within this many hours
    notify_mqtt: bool = True
    mqtt_notification_prefix: str = "f1/notifications/"
    reminder_hours: int = 24  # remind team owners this long before a weekend locks
    # OpenF1 (`gridscore feed openf1`, `gridscore live --source openf1`); see docs/openf1.md.
    openf1_api_url: str = "https://api.openf1.org"
    openf1_token_url: str = "https://api.openf1.org/token"  # noqa: S105 (a URL, not a secret)
    openf1_mqtt_url: str = "mqtts://mqtt.openf1.org:8883"
    openf1_username: str | None = None  # the account's e-mail; also the MQTT user name
    openf1_password: str | None = field(default=None, repr=False)  # the account's password, never logged
    openf1_ca_file: str | None = None  # unset: the system's CAs
    openf1_client_id: str | None = None  # unset: gridscore-<hash of the user name>, stable per account
    openf1_pace_ms: int = 350  # pause between REST requests (OpenF1 limits requests per client)
    openf1_silence_s: int = 60  # live: reconnect after this long without a message (0: never)
    openf1_cache_dir: Path | None = None  # unset: data_dir/openf1-cache
    # Operations.
    log_level: str = "INFO"
    log_format: str = "json"
    metrics_port: int = 9108
    ingest_stall_s: int = 60  # /health: unhealthy when messages wait this long untaken or unreceived
    sentry_dsn: str | None = None  # unset: no error tracking
    sentry_environment: str = "production"
    sentry_traces_sample_rate: float = 0.0  # share of requests traced for performance (0: errors only)
    backup_dir: Path | None = None  # unset: data_dir/backups
    backup_keep_daily: int = 30  # keep the newest dump of each of this many days
    backup_keep_weekly: int = 0  # ... and of this many ISO weeks
    backup_keep_monthly: int = 0  # ... and of this many months

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

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=_env("DATABASE_URL"),
            redis_url=_env("REDIS_URL"),
            mqtt_url=_env("MQTT_URL", "mqtt://127.0.0.1:1883") or "",
            mqtt_username=_env("MQTT_USERNAME"),
            mqtt_password=_env("MQTT_PASSWORD"),
            mqtt_ca_file=_env("MQTT_CA_FILE"),
            mqtt_client_id=_env("MQTT_CLIENT_ID", "gridscore-engine") or "",
            mqtt_input_prefix=_env("MQTT_INPUT_PREFIX", "v1/") or "",
            mqtt_output_prefix=_env("MQTT_OUTPUT_PREFIX", "f1/scoring/") or "",
            mqtt_rejected_topic=_env("MQTT_REJECTED_TOPIC", "f1/ingest/rejected") or "",
            mqtt_protocol=_env("MQTT_PROTOCOL", "3.1.1") or "3.1.1",
            mqtt_session_expiry_s=_int("MQTT_SESSION_EXPIRY_S", 86_400),
            mqtt_journal=_path("MQTT_JOURNAL"),
            mqtt_league_top_n=_int("MQTT_LEAGUE_TOP_N", 10),
            mqtt_bulk_interval_ms=_int("MQTT_BULK_INTERVAL_MS", 5_000),
            mqtt_team_topics=_bool("MQTT_TEAM_TOPICS", False),
            mqtt_bulk_max_rate=_int("MQTT_BULK_MAX_RATE", 2_000),
            recovery_dir=_path("GRIDSCORE_RECOVERY_DIR"),
            snapshot_interval_ms=_int("GRIDSCORE_SNAPSHOT_INTERVAL_MS", 1_000),
            data_dir=Path(_env("GRIDSCORE_DATA_DIR", ".gridscore") or ".gridscore"),
            ruleset=_env("GRIDSCORE_RULESET", "f1fantasy-2025") or "",
            window_ms=_int("GRIDSCORE_WINDOW_MS", 250),
            lateness_ms=_int("GRIDSCORE_LATENESS_MS", 500),
            leaderboard_top_n=_int("GRIDSCORE_LEADERBOARD_TOP_N", 100),
            pending_ttl_ms=_int("GRIDSCORE_PENDING_TTL_MS", 30_000),
            max_waiting_messages=_int("GRIDSCORE_MAX_WAITING_MESSAGES", 20_000),
            max_sessions=_int("GRIDSCORE_MAX_SESSIONS", 128),
            max_meetings=_int("GRIDSCORE_MAX_MEETINGS", 16),
            session_idle_h=_int("GRIDSCORE_SESSION_IDLE_H", 96),
            date_slack_h=_int("GRIDSCORE_DATE_SLACK_H", 24),
            api_host=_env("API_HOST", "127.0.0.1") or "",
            api_port=_int("API_PORT", 8000),
            jwt_secret=_env("JWT_SECRET"),
            jwt_access_ttl_s=_int("JWT_ACCESS_TTL_S", 900),
            jwt_refresh_ttl_s=_int("JWT_REFRESH_TTL_S", 14 * 24 * 3600),
            jwt_refresh_grace_s=_int("JWT_REFRESH_GRACE_S", 10),
            jwt_session_max_age_s=_int("JWT_SESSION_MAX_AGE_S", 30 * 24 * 3600),
            api_auth_rate_limit=_int("API_AUTH_RATE_LIMIT", 10),
            api_auth_rate_unit=_env("API_AUTH_RATE_UNIT", "minute") or "minute",
            api_public_rate_limit=_int("API_PUBLIC_RATE_LIMIT", 600),
            api_health_timeout_ms=_int("API_HEALTH_TIMEOUT_MS", 1_500),
            api_cors_origins=_list("API_CORS_ORIGINS"),
            live_ticket_ttl_s=_int("LIVE_TICKET_TTL_S", 60),
            live_keepalive_s=_int("LIVE_KEEPALIVE_S", 15),
            live_push_interval_ms=_int("LIVE_PUSH_INTERVAL_MS", 1_000),
            live_stream_max_s=_int("LIVE_STREAM_MAX_S", 900),
            celery_broker_url=_env("CELERY_BROKER_URL"),
            sync_source_url=_env("SYNC_SOURCE_URL", "https://api.jolpi.ca") or "",
            smtp_host=_env("SMTP_HOST"),
            smtp_port=_int("SMTP_PORT", 25),
            smtp_username=_env("SMTP_USERNAME"),
            smtp_password=_env("SMTP_PASSWORD"),
            smtp_from=_env("SMTP_FROM", "gridscore@localhost") or "",
            smtp_starttls=_bool("SMTP_STARTTLS", False),
            celery_visibility_timeout_s=_int("CELERY_VISIBILITY_TIMEOUT_S", 3_600),
            beat_check_s=_int("BEAT_CHECK_S", 60),
            sync_season=_int("SYNC_SEASON", 0) or None,
            sync_timeout_s=_int("SYNC_TIMEOUT_S", 30),
            sync_pace_ms=_int("SYNC_PACE_MS", 250),
            sync_retry_backoff_s=_int("SYNC_RETRY_BACKOFF_S", 30),
            notify_chunk_size=_int("NOTIFY_CHUNK_SIZE", 100),
            notify_lookback_h=_int("NOTIFY_LOOKBACK_H", 72),
            notify_mqtt=_bool("NOTIFY_MQTT", True),
            mqtt_notification_prefix=_env("MQTT_NOTIFICATION_PREFIX", "f1/notifications/") or "",
            reminder_hours=_int("REMINDER_HOURS", 24),
            openf1_api_url=_env("OPENF1_API_URL", "https://api.openf1.org") or "",
            openf1_token_url=_env("OPENF1_TOKEN_URL", "https://api.openf1.org/token") or "",
            openf1_mqtt_url=_env("OPENF1_MQTT_URL", "mqtts://mqtt.openf1.org:8883") or "",
            openf1_username=_env("OPENF1_USERNAME"),
            openf1_password=_env("OPENF1_PASSWORD"),
            openf1_ca_file=_env("OPENF1_CA_FILE"),
            openf1_client_id=_env("OPENF1_CLIENT_ID"),
            openf1_pace_ms=_int("OPENF1_PACE_MS", 350),
            openf1_silence_s=_int("OPENF1_SILENCE_S", 60),
            openf1_cache_dir=_path("OPENF1_CACHE_DIR"),
            log_level=_env("LOG_LEVEL", "INFO") or "INFO",
            log_format=_env("LOG_FORMAT", "json") or "json",
            metrics_port=_int("METRICS_PORT", 9108),
            ingest_stall_s=_int("GRIDSCORE_INGEST_STALL_S", 60),
            sentry_dsn=_env("SENTRY_DSN"),
            sentry_environment=_env("SENTRY_ENVIRONMENT", "production") or "production",
            sentry_traces_sample_rate=float(_env("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
            backup_dir=_path("BACKUP_DIR"),
            backup_keep_daily=_int("BACKUP_KEEP_DAILY", 30),
            backup_keep_weekly=_int("BACKUP_KEEP_WEEKLY", 0),
            backup_keep_monthly=_int("BACKUP_KEEP_MONTHLY", 0),
        )


def get_settings() -> Settings:
    return Settings.from_env()
