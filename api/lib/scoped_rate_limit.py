"""Litestar's rate limit, decided from the ASGI scope before anything is built for the request.

Litestar's RateLimitMiddleware makes a Request and awaits its check handler on every request, limited or
not; the race's hot reads are limited by neither of the API's two limits, and two such middlewares
built two Requests and a URL each (about a tenth of a loaded API's samples). Here a plain function of the
scope says whether the limit applies; where it does, Litestar's middleware does the rest as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    RateLimitConfig,
    RateLimitMiddleware,
)
from litestar.types import Message, Receive, Scope, Send


def _everywhere(scope: Scope) -> bool:
    return True


@dataclass
class ScopedRateLimitConfig(RateLimitConfig):
    applies: Callable[[Scope], bool] = field(default=_everywhere)
    """Whether a request is limited, from its scope alone (its route handler is `scope["route_handler"]`)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.middleware_class = ScopedRateLimitMiddleware


class ScopedRateLimitMiddleware(RateLimitMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not cast(ScopedRateLimitConfig, self.config).applies(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


MAX_WINDOWS = 100_000  # clients counted per process; past it the expired windows go, then the oldest


@dataclass(slots=True)
class _Window:
    reset: int  # when the window ends (epoch seconds), as Litestar's CacheObject
    count: int


@dataclass
class InProcessRateLimitConfig(ScopedRateLimitConfig):
    """Litestar's fixed-window limit (the same counts, 429 and RateLimit-* headers) counted in this process:
    no store round trip and no history list encoded and decoded per request (Litestar's grows to the limit:
    at 5,000 stream opens from one address each open read and wrote a JSON list of thousands under a lock).
    Each process counts its own, so with W workers a client may make up to W times the limit; it keeps
    counting while Redis is down."""

    windows: dict[str, _Window] = field(default_factory=dict)  # one per app: every route's middleware

    def __post_init__(self) -> None:
        super().__post_init__()
        self.middleware_class = InProcessRateLimitMiddleware

    def window(self, key: str, now: int, duration: int) -> _Window:
        window = self.windows.get(key)
        if window is None or window.reset <= now:
            window = self.windows[key] = _Window(now + duration, 0)
            if len(self.windows) > MAX_WINDOWS:
                for old in [k for k, w in self.windows.items() if w.reset <= now]:
                    del self.windows[old]
                while len(self.windows) > MAX_WINDOWS:
                    del self.windows[next(iter(self.windows))]
        return window


class InProcessRateLimitMiddleware(ScopedRateLimitMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = cast(InProcessRateLimitConfig, self.config)
        if not config.applies(scope):
            await self.app(scope, receive, send)
            return
        key = self.cache_key_from_request(scope["litestar_app"].request_class(scope))
        now = int(time.time())
        window = config.window(key, now, DURATION_VALUES[self.unit])
        if window.count >= self.max_requests:
            headers = self._headers(window.count, window.reset) if config.set_rate_limit_headers else None
            raise TooManyRequestsException(headers=headers)
        window.count += 1
        if config.set_rate_limit_headers:
            send = self._with_headers(send, window.count, window.reset)
        await self.app(scope, receive, send)

    def _headers(self, count: int, reset: int) -> dict[str, str]:
        """RateLimitMiddleware.create_response_headers' headers, from a count instead of a history."""
        config = self.config
        return {
            config.rate_limit_policy_header_key: f"{self.max_requests}; w={DURATION_VALUES[self.unit]}",
            config.rate_limit_limit_header_key: str(self.max_requests),
            config.rate_limit_remaining_header_key: str(max(self.max_requests - count, 0)),
            config.rate_limit_reset_header_key: str(reset - int(time.time())),
        }

    def _with_headers(self, send: Send, count: int, reset: int) -> Send:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableScopeHeaders(message)
                for name, value in self._headers(count, reset).items():
                    headers[name] = value
            await send(message)

        return send_with_headers
