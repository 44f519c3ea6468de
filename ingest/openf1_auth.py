"""OpenF1 access tokens: the password of OpenF1's MQTT broker (and a bearer for its REST API).

A token comes from OpenF1's token endpoint (`POST /token`, form `username` and `password` of the
account) and expires (an hour, says `expires_in`). `TokenSource` keeps the current one and gets a
new one a little before it expires; the receiver reconnects with it. Neither the account's password
nor a token is ever logged, and `repr` shows neither. Picklable: the receiver process holds a copy.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ingest.broker import CredentialsError

log = logging.getLogger(__name__)

DEFAULT_LIFETIME_S = 3600.0  # what OpenF1 documents, if an answer has no usable expires_in
RENEW_MARGIN_MAX_S = 300.0  # renew this long before expiry, at most...
RENEW_MARGIN_SHARE = 0.2  # ...or this share of the token's lifetime, if less


class TokenError(CredentialsError):
    """No token to be had now: the endpoint is unreachable, busy or refuses the account."""


class _RetryError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: str = field(repr=False)
    expires_at: float  # epoch seconds
    renew_at: float  # epoch seconds: reconnect with a new token from then on


def _loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "::1", "localhost")


class TokenSource:
    """The account's current OpenF1 access token, renewed before it expires (a `PasswordSource`)."""

    def __init__(self, token_url: str, username: str, password: str, timeout_s: float = 15.0) -> None:
        parts = urlsplit(token_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
            raise ValueError(
                f"OPENF1_TOKEN_URL must be https:// (the account's password travels): {token_url}"
            )
        if not username or not password:
            raise ValueError("an OpenF1 account needs OPENF1_USERNAME and OPENF1_PASSWORD")
        self.token_url = token_url
        self.username = username
        self._password = password
        self.timeout_s = timeout_s
        self._token: AccessToken | None = None
        self._lock = threading.Lock()
        self.fetched = 0  # tokens obtained by this copy

    def __repr__(self) -> str:
        return f"TokenSource({self.token_url!r}, username={self.username!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def password(self, renew: bool = False) -> tuple[str, float]:
        token = self.token(renew)
        return token.value, token.renew_at

    def bearer(self) -> str:
        return self.token().value

    def token(self, renew: bool = False) -> AccessToken:
        """The current token, or a new one if asked, if there is none, or if it is due for renewal."""
        with self._lock:
            current = self._token
            if renew or current is None or time.time() >= current.renew_at:
                current = self._token = self._fetch()
            return current

    def _fetch(self) -> AccessToken:
        retrying = Retrying(
            retry=retry_if_exception_type(_RetryError),
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.5, max=5),
            reraise=True,
        )
        try:
            answer = retrying(self._once)
        except _RetryError as exc:
            raise TokenError(f"OpenF1 token endpoint {self.token_url}: {exc}") from exc
        value = answer.get("access_token")
        if not isinstance(value, str) or not value:
            raise TokenError(f"OpenF1 token endpoint {self.token_url}: no access_token in its answer")
        try:
            lifetime = float(answer.get("expires_in", DEFAULT_LIFETIME_S))  # OpenF1 sends a string
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME_S
        lifetime = max(lifetime, 1.0)
        now = time.time()
        margin = min(RENEW_MARGIN_MAX_S, lifetime * RENEW_MARGIN_SHARE)
        self.fetched += 1
        log.info("OpenF1 access token obtained for %s, valid for %.0f s", self.username, lifetime)
        return AccessToken(value, now + lifetime, now + lifetime - margin)

    def _once(self) -> dict[str, Any]:
        try:
            response = httpx.post(
                self.token_url,
                data={"username": self.username, "password": self._password},
                headers={"accept": "application/json"},
                timeout=self.timeout_s,
            )
        except httpx.TransportError as exc:
            raise _RetryError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _RetryError(f"HTTP {response.status_code}")
        if response.status_code in (400, 401, 403):
            raise TokenError(
                f"OpenF1 refused the account {self.username!r} (HTTP {response.status_code}):"
                " check OPENF1_USERNAME and OPENF1_PASSWORD, and that the account is active"
            )
        if response.status_code != 200:
            raise TokenError(f"OpenF1 token endpoint {self.token_url}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise TokenError(f"OpenF1 token endpoint {self.token_url}: not JSON") from exc
        if not isinstance(answer, dict):
            raise TokenError(f"OpenF1 token endpoint {self.token_url}: not a JSON object")
        return answer
