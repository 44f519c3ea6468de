"""The API's configuration, derived once from Settings and the service URLs (never from the environment)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, cast

from gridscore.base.services import ServiceUrls
from gridscore.base.settings import Settings

log = logging.getLogger(__name__)

DurationUnit = Literal["second", "minute", "hour", "day"]
RATE_UNITS: tuple[DurationUnit, ...] = ("second", "minute", "hour", "day")
MIN_SECRET_BYTES = 32
PLACEHOLDER = "change-me"  # .env.example's value for every secret


def jwt_secret(settings: Settings) -> str:
    """The secret that signs tokens. Anyone who knows it signs a token for any player, so in production
    (GRIDSCORE_ENV) an unset, placeholder or short one stops the API with what to do; elsewhere (a
    developer's machine, the demo, tests) it is a warning and an unset one a random per-process secret."""
    secret = settings.jwt_secret
    if secret is None:
        problem = "is unset"
    elif PLACEHOLDER in secret.lower():
        problem = f"is the {PLACEHOLDER} placeholder of .env.example"
    elif len(secret.encode()) < MIN_SECRET_BYTES:
        problem = f"is shorter than {MIN_SECRET_BYTES} bytes"
    else:
        return secret
    if settings.environment == "production":
        raise SystemExit(
            f"gridscore api: JWT_SECRET {problem}, and GRIDSCORE_ENV is production: refusing to start, since "
            f"anyone who knows or guesses it can sign a token for any player. Set JWT_SECRET to at least "
            f"{MIN_SECRET_BYTES} random bytes (openssl rand -hex 32) in .env or the environment, then start "
            "the API again; on a machine of your own, GRIDSCORE_ENV=development makes this a warning."
        )
    if secret is None:
        log.warning("JWT_SECRET is unset: signing with a random secret, tokens end with this process")
        return secrets.token_urlsafe(48)
    log.warning(
        "JWT_SECRET %s: use `openssl rand -hex 32` (GRIDSCORE_ENV=production refuses to start)", problem
    )
    return secret


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """Settings in the API's units, and the API's own constants. Make it with `from_settings`: the
    fields above the line have no default here, the variable's default is in Settings; tests take
    that and `dataclasses.replace` what they change."""

    # ---- From Settings (JWT_*, API_*, LIVE_*, MQTT_*, CELERY_BROKER_URL, GRIDSCORE_RULESET).
    database_url: str
    redis_url: str
    jwt_secret: str
    mqtt_url: str
    mqtt_username: str | None
    mqtt_password: str | None
    mqtt_ca_file: str | None
    access_ttl: timedelta
    refresh_ttl: timedelta
    # A login lasts at most this long however often it is refreshed; then the player logs in again.
    session_max_age: timedelta
    # Two refreshes with the same refresh token within this window (two tabs) get the same new pair.
    refresh_grace: timedelta
    # Per client address and unit: log-in, registration, refresh and password change share the first
    # limit; every other route reachable without a token (calendar, session points, /health, /schema)
    # the second. /metrics is for the scraper and never limited.
    auth_rate_limit: int
    auth_rate_unit: DurationUnit
    public_rate_limit: int
    health_timeout_s: float
    # Hot reads reuse what they learnt from Postgres (access, sessions, rosters) this long per process.
    read_cache_s: float
    # Browser origins (scheme://host[:port]) allowed to call the API from another site; empty: no CORS.
    cors_origins: tuple[str, ...]
    ruleset: str | None  # None: the default rule set (scoring.rules.DEFAULT_RULESET)
    # Live push (server-sent events): single-use tickets for EventSource, and the pace of each stream.
    live_ticket_ttl: timedelta
    live_keepalive_s: float
    live_push_interval_s: float
    live_stream_max_s: float
    # Account e-mails are queued for Celery (its broker; None: the Redis above).
    celery_broker_url: str | None
    # ---- The API's own: key namespaces, code lifetimes, no variable.
    session_cache_namespace: str = "gs:api:session"
    rate_limit_namespace: str = "gs:api:ratelimit"
    debug: bool = False
    live_ticket_namespace: str = "gs:api:ticket"
    verification_ttl: timedelta = timedelta(hours=48)
    reset_ttl: timedelta = timedelta(minutes=30)
    account_code_namespace: str = "gs:api:acct"
    # argon2id cost; None: argon2-cffi's defaults (RFC 9106). Only tests lower it, to run quickly.
    password_time_cost: int | None = None
    password_memory_kib: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings, urls: ServiceUrls | None = None) -> ApiConfig:
        """The API's config; `urls` are the servers actually running (embedded ones included), by
        default the settings' own DATABASE_URL and REDIS_URL, which must then be set."""
        if urls is None:
            if not (settings.database_url and settings.redis_url):
                raise SystemExit("gridscore: the API needs DATABASE_URL and REDIS_URL")
            urls = ServiceUrls(settings.database_url, settings.redis_url)
        secret = jwt_secret(settings)
        unit = settings.api_auth_rate_unit.lower()
        if unit not in RATE_UNITS:
            raise SystemExit(f"gridscore: API_AUTH_RATE_UNIT must be one of {', '.join(RATE_UNITS)}")
        return cls(
            database_url=urls.database_url,
            redis_url=urls.redis_url,
            jwt_secret=secret,
            mqtt_url=settings.mqtt_url,
            mqtt_username=settings.mqtt_username,
            mqtt_password=settings.mqtt_password,
            mqtt_ca_file=settings.mqtt_ca_file,
            access_ttl=timedelta(seconds=settings.jwt_access_ttl_s),
            refresh_ttl=timedelta(seconds=settings.jwt_refresh_ttl_s),
            refresh_grace=timedelta(seconds=settings.jwt_refresh_grace_s),
            session_max_age=timedelta(seconds=settings.jwt_session_max_age_s),
            auth_rate_limit=settings.api_auth_rate_limit,
            public_rate_limit=settings.api_public_rate_limit,
            auth_rate_unit=cast(DurationUnit, unit),
            health_timeout_s=settings.api_health_timeout_ms / 1000,
            read_cache_s=settings.api_read_cache_ms / 1000,
            cors_origins=settings.api_cors_origins,
            celery_broker_url=settings.celery_broker_url,
            ruleset=settings.ruleset,
            live_ticket_ttl=timedelta(seconds=settings.live_ticket_ttl_s),
            live_keepalive_s=float(settings.live_keepalive_s),
            live_push_interval_s=settings.live_push_interval_ms / 1000,
            live_stream_max_s=float(settings.live_stream_max_s),
        )
