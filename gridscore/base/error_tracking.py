"""Error tracking with Sentry for the API, the engine and the Celery workers, on when SENTRY_DSN is set.

Nothing secret may leave the process: Sentry's own scrubber removes values under sensitive keys
(passwords, tokens, authorization headers, cookies), and `scrub_secrets` then removes, anywhere in an
event, the secret values this process was configured with (JWT secret, passwords, credentials inside
server URLs) and anything shaped like a bearer token or a JWT, because those also travel inside
strings (a Settings repr among a frame's locals, an exception message naming a URL).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

from gridscore.base.settings import Settings

FILTERED = "[Filtered]"
EXTRA_DENYLIST = ["jwt_secret", "refresh_token", "access_token", "ticket", "smtp_password", "mqtt_password"]
_PATTERNS = (
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), FILTERED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), FILTERED),  # a JWT
    (re.compile(r"(?<=://)[^/@\s:]*:[^/@\s]*(?=@)"), FILTERED),  # user:password@ in a URL
    # A value under a sensitive name inside text: a JSON body in a repr, a query string, a form.
    (
        re.compile(
            r"""(?i)((?:password|passwd|secret|token|ticket)[\\"']{0,3}\s*[:=]\s*[\\"']{0,3})[^"'\\,&\s}]+"""
        ),
        rf"\g<1>{FILTERED}",
    ),
)


def secret_values(settings: Settings) -> list[str]:
    """The secrets this process knows, longest first (so a longer secret is replaced whole)."""
    values = [settings.jwt_secret, settings.mqtt_password, settings.smtp_password]
    for url in (settings.database_url, settings.redis_url, settings.celery_broker_url, settings.mqtt_url):
        if url:
            values.append(urlsplit(url).password)
    return sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True)


def scrub_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, FILTERED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, tuple):
        return tuple(_scrub(v, secrets) for v in value)
    return value


def scrub_secrets(settings: Settings) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """A `before_send` hook that removes this process's secrets from every string of an event."""
    secrets = secret_values(settings)

    def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        scrubbed: dict[str, Any] = _scrub(event, secrets)
        return scrubbed

    return before_send


def init_error_tracking(settings: Settings, component: str) -> bool:
    """Start Sentry for this process (`component`: api, engine, worker) when SENTRY_DSN is set."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    try:
        release = f"gridscore@{version('gridscore')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        release = None
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.sentry_environment,
        release=release,
        server_name=component,
        send_default_pii=False,
        include_local_variables=True,
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, *EXTRA_DENYLIST], recursive=True),
        before_send=scrub_secrets(settings),  # type: ignore[arg-type]
        traces_sample_rate=settings.sentry_traces_sample_rate,
    )
    sentry_sdk.set_tag("component", component)
    return True
