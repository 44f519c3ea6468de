"""Live: after every window, the provisional points in Redis equal the rules applied from scratch
to everything that came before the window's end, whatever the window length."""

from __future__ import annotations

import json
from datetime import timedelta

import redis
from bytewax.testing import run_main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflows.scoring_steps import ScoredWindow
from gridscore.replay import store_flow
from gridscore.settings import Settings
from ingest.recorded import iter_lines
from store import live_keys
from tests.conftest import FEEDS
from tests.scratch import decode_all, score_from_scratch, session_table

LAP_BY_LAP = FEEDS / "2023-01-bahrain.jsonl"
LINES = list(iter_lines(LAP_BY_LAP))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    window_ms=st.integers(min_value=50, max_value=300_000),
    prefix=st.integers(min_value=60, max_value=len(LINES)),
)
def test_every_window_equals_scoring_from_scratch(
    window_ms: int, prefix: int, tmp_path_factory, db: str, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    feed = tmp_path_factory.mktemp("prefix") / "prefix.jsonl"
    feed.write_bytes(b"\n".join(LINES[:prefix]) + b"\n")
    messages = decode_all(LINES[:prefix])
    checked: list[int] = []
    mismatches: list[str] = []

    def check(window: ScoredWindow) -> None:
        session = window.weekend.session
        end = session.window_end
        if end is None:
            return
        key = session.points.session_key
        before = [m for m in messages if m.event.session_key == key and m.event_time < end]
        expected = session_table(score_from_scratch(before)[key])
        stored = json.loads(client.get(live_keys.session_assets(key)) or b"{}")
        got = {"drivers": stored.get("drivers"), "constructors": stored.get("constructors")}
        if got != expected:
            mismatches.append(f"session {key} window ending {end}")
        checked.append(key)

    flow = store_flow(
        db,
        redis_url,
        [feed],
        Settings(),
        book=None,
        window=timedelta(milliseconds=window_ms),
        on_written=check,
    )
    run_main(flow)
    assert checked, "at least one window was written"
    assert not mismatches, mismatches[:5]
    # And at the end the weekend document equals the from-scratch weekend.
    final = score_from_scratch(messages)
    doc = json.loads(client.get(live_keys.meeting_points(202301)) or b"{}")
    drivers: dict[str, int] = {}
    for points in final.values():
        for name, asset in points.drivers.items():
            drivers[name] = drivers.get(name, 0) + asset.total
    assert doc["drivers"] == dict(sorted(drivers.items()))
    client.close()
