"""The one retry policy for reaching a server GridScore depends on (Redis, PostgreSQL, the MQTT
broker): capped exponential backoff with jitter (`first_s`, about twice as long each time, at most
`max_s`), for as long as it takes, through tenacity. store/outages.py waits out Redis and PostgreSQL
with it; the MQTT receiver reconnects with it. Errors that are not about reaching the server are
raised at once."""

from __future__ import annotations

from collections.abc import Callable

import tenacity

Errors = tuple[type[BaseException], ...]
BeforeSleep = Callable[[tenacity.RetryCallState], None]


def backoff(first_s: float, max_s: float) -> tenacity.wait.wait_base:
    return tenacity.wait_exponential_jitter(multiplier=first_s, jitter=first_s, max=max_s)


def until_reached(
    errors: Errors, first_s: float, max_s: float, before_sleep: BeforeSleep | None = None
) -> tenacity.Retrying:
    """Retrying that calls again while the call raises one of `errors`, never giving up."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(errors),
        wait=backoff(first_s, max_s),
        stop=tenacity.stop_never,
        before_sleep=before_sleep,
        reraise=True,
    )


def until_reached_async(
    errors: Errors,
    first_s: float,
    max_s: float,
    before_sleep: BeforeSleep | None = None,
    give_up: Callable[[], bool] = lambda: False,
) -> tenacity.AsyncRetrying:
    """The same policy on asyncio; `give_up()` true (the caller is stopping) ends it, raising the
    last error."""
    return tenacity.AsyncRetrying(
        retry=tenacity.retry_if_exception_type(errors),
        wait=backoff(first_s, max_s),
        stop=lambda _: give_up(),
        before_sleep=before_sleep,
        reraise=True,
    )
