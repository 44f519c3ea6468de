"""The one retry policy (gridscore/base/retry.py): the server's errors are retried with capped,
growing waits until the call goes through; any other error is raised at once."""

from __future__ import annotations

import asyncio

import pytest
import tenacity

from gridscore.base.retry import backoff, until_reached, until_reached_async


def state(attempt: int) -> tenacity.RetryCallState:
    retry_state = tenacity.RetryCallState(tenacity.Retrying(), fn=None, args=(), kwargs={})
    retry_state.attempt_number = attempt
    return retry_state


def test_waits_double_from_the_first_with_jitter_up_to_the_cap() -> None:
    wait = backoff(0.5, 30.0)
    for attempt, low in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (6, 16.0)):
        assert low <= wait(state(attempt)) <= low + 0.5, attempt
    assert wait(state(40)) == 30.0


def test_retries_the_servers_errors_until_it_goes_through() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise ConnectionError("refused")
        return "written"

    retrying = until_reached((ConnectionError,), 0.01, 0.05)
    retrying.sleep = slept.append
    assert retrying(flaky) == "written"
    assert len(calls) == 4
    assert len(slept) == 3
    assert all(0.01 <= s <= 0.06 for s in slept)


def test_other_errors_are_raised_at_once() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("a bad command")

    with pytest.raises(ValueError, match="a bad command"):
        until_reached((ConnectionError,), 0.01, 0.05)(broken)
    assert calls == [1]


def test_the_async_policy_gives_up_when_its_caller_stops() -> None:
    calls: list[int] = []

    async def refused() -> None:
        calls.append(1)
        raise ConnectionError("refused")

    retrying = until_reached_async((ConnectionError,), 0.001, 0.002, give_up=lambda: len(calls) >= 3)
    with pytest.raises(ConnectionError):
        asyncio.run(retrying(refused))
    assert len(calls) == 3
