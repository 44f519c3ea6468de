"""Litestar's rate limit, decided from the ASGI scope before anything is built for the request.

Litestar's RateLimitMiddleware makes a Request and awaits its check handler on every request, limited or
not; the race's hot reads are limited by neither of the API's two limits, and two such middlewares
built two Requests and a URL each (about a tenth of a loaded API's samples). Here a plain function of the
scope says whether the limit applies; where it does, Litestar's middleware does the rest as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.types import Receive, Scope, Send


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
