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
    data_dir: Path = field(default_factory=lambda: Path(".gridscore"))
    # Engine.
    ruleset: str = "f1fantasy-2025"
    window_ms: int = 500
    lateness_ms: int = 2_000
    leaderboard_top_n: int = 100
    # API.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    jwt_secret: str | None = None
    jwt_access_ttl_s: int = 900
    jwt_refresh_ttl_s: int = 14 * 24 * 3600
    # Celery, sync and notifications.
    celery_broker_url: str | None = None
    sync_source_url: str = "https://api.jolpi.ca"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "gridscore@localhost"
    # Operations.
    log_level: str = "INFO"
    log_format: str = "json"
    metrics_port: int = 9108

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
            data_dir=Path(_env("GRIDSCORE_DATA_DIR", ".gridscore") or ".gridscore"),
            ruleset=_env("GRIDSCORE_RULESET", "f1fantasy-2025") or "",
            window_ms=_int("GRIDSCORE_WINDOW_MS", 500),
            lateness_ms=_int("GRIDSCORE_LATENESS_MS", 2_000),
            leaderboard_top_n=_int("GRIDSCORE_LEADERBOARD_TOP_N", 100),
            api_host=_env("API_HOST", "127.0.0.1") or "",
            api_port=_int("API_PORT", 8000),
            jwt_secret=_env("JWT_SECRET"),
            jwt_access_ttl_s=_int("JWT_ACCESS_TTL_S", 900),
            jwt_refresh_ttl_s=_int("JWT_REFRESH_TTL_S", 14 * 24 * 3600),
            celery_broker_url=_env("CELERY_BROKER_URL"),
            sync_source_url=_env("SYNC_SOURCE_URL", "https://api.jolpi.ca") or "",
            smtp_host=_env("SMTP_HOST"),
            smtp_port=_int("SMTP_PORT", 25),
            smtp_username=_env("SMTP_USERNAME"),
            smtp_password=_env("SMTP_PASSWORD"),
            smtp_from=_env("SMTP_FROM", "gridscore@localhost") or "",
            log_level=_env("LOG_LEVEL", "INFO") or "INFO",
            log_format=_env("LOG_FORMAT", "json") or "json",
            metrics_port=_int("METRICS_PORT", 9108),
        )


def get_settings() -> Settings:
    return Settings.from_env()
