"""OpenF1's REST API as lists of documents, polite and repeatable.

OpenF1 limits requests per client and answers 429 (with `Retry-After`) or a 5xx when busy: each
request is retried with exponential backoff, waiting at least what `Retry-After` asks. An empty
answer (`[]`, or the hosted API's 404 `{"detail": "No results found."}`) is an empty collection.
Every answer is kept on disk, one file per request URL, so a rerun needs no network: a weekend
that is over does not change, and OpenF1's data should not be fetched twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)

Document = dict[str, Any]
_documents = msgspec.json.Decoder(list[dict[str, Any]])
_detail = msgspec.json.Decoder(dict[str, Any])


class OpenF1Error(Exception):
    """OpenF1 could not give an answer (after retries), or gave one that is not a list of documents."""


class _BusyError(Exception):
    """A 429, a 5xx or a network failure: worth asking again, after `retry_after` if the server said."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RestOptions:
    timeout_s: float = 30.0
    attempts: int = 6  # requests per URL, at most, before giving up
    backoff_first_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0  # a longer Retry-After is an error rather than a silent hour
    pace_s: float = 0.0  # at least this long between two requests (OpenF1's per-client rate limit)


@dataclass
class RestStats:
    requests: int = 0  # sent over the network, retries included
    retries: int = 0
    cached: int = 0  # answered from the disk cache


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` as seconds (it may be a number or an HTTP date); None if absent or unreadable."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class OpenF1Rest:
    """GET /v1/<collection>?<filters> with retries, pacing and a disk cache (None: no cache)."""

    def __init__(
        self,
        base_url: str,
        cache_dir: Path | None,
        options: RestOptions | None = None,
        bearer: Callable[[], str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.cache_dir = cache_dir
        self.options = options or RestOptions()
        self.bearer = bearer  # an OpenF1 account's access token: higher rate limits
        self.stats = RestStats()
        self._client = httpx.Client(timeout=self.options.timeout_s, follow_redirects=True)
        self._last_request = 0.0

    def __enter__(self) -> OpenF1Rest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def url(self, collection: str, filters: dict[str, object]) -> str:
        query = urlencode(sorted((k, _text(v)) for k, v in filters.items()))
        return f"{self.base_url}/v1/{collection}" + (f"?{query}" if query else "")

    def get(self, collection: str, optional: bool = False, **filters: object) -> list[Document]:
        """The documents of `collection` matching `filters` (equality). optional: a collection the
        server may not have at all, so any 404 means none."""
        url = self.url(collection, filters)
        cached = self._cached(url)
        if cached is not None:
            self.stats.cached += 1
            return cached
        documents = self._fetch(url, optional)
        self._store(url, documents)
        return documents

    def _fetch(self, url: str, optional: bool) -> list[Document]:
        o = self.options
        backoff = wait_exponential_jitter(
            multiplier=o.backoff_first_s, max=o.backoff_max_s, jitter=o.backoff_first_s
        )

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome is not None else None
            asked = failure.retry_after if isinstance(failure, _BusyError) else None
            return max(asked, backoff(state)) if asked is not None else backoff(state)

        def before_sleep(state: RetryCallState) -> None:
            self.stats.retries += 1
            failure = state.outcome.exception() if state.outcome is not None else None
            pause = state.next_action.sleep if state.next_action is not None else 0.0
            log.warning("OpenF1 %s: %s; retrying in %.1f s", url, failure, pause)

        retrying = Retrying(
            retry=retry_if_exception_type(_BusyError),
            stop=stop_after_attempt(o.attempts),
            wait=wait,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._once, url, optional)
        except _BusyError as exc:
            raise OpenF1Error(f"{url}: {exc} (gave up after {o.attempts} attempts)") from exc

    def _once(self, url: str, optional: bool) -> list[Document]:
        pause = self._last_request + self.options.pace_s - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last_request = time.monotonic()
        self.stats.requests += 1
        headers = {"accept": "application/json"}
        if self.bearer is not None:
            headers["authorization"] = f"Bearer {self.bearer()}"
        try:
            response = self._client.get(url, headers=headers)
        except httpx.TransportError as exc:
            raise _BusyError(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            asked = retry_after_seconds(response)
            if asked is not None and asked > self.options.retry_after_max_s:
                raise OpenF1Error(f"{url}: HTTP {status}, Retry-After {asked:.0f} s is too long to wait")
            raise _BusyError(f"HTTP {status}", asked)
        if status == 404 and (optional or _no_results(response.content)):
            return []
        if status != 200:
            raise OpenF1Error(f"{url}: HTTP {status}: {response.text[:200]}")
        try:
            return _documents.decode(response.content)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise OpenF1Error(f"{url}: not a JSON list of documents ({exc})") from exc

    def _path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{hashlib.sha256(url.encode()).hexdigest()}.json"

    def _cached(self, url: str) -> list[Document] | None:
        path = self._path(url)
        if path is None or not path.is_file():
            return None
        try:
            return _documents.decode(path.read_bytes())
        except (msgspec.DecodeError, RecursionError):
            log.warning("OpenF1 cache: %s is unreadable; fetching again", path)
            return None

    def _store(self, url: str, documents: list[Document]) -> None:
        path = self._path(url)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(msgspec.json.encode(documents))
        os.replace(tmp, path)  # whole or absent: a killed run never leaves half an answer


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _no_results(body: bytes) -> bool:
    try:
        detail = _detail.decode(body).get("detail")
    except (msgspec.DecodeError, RecursionError):
        return False
    return isinstance(detail, str) and "no results" in detail.lower()
