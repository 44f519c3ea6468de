"""Live: after every window, the provisional points in Redis equal the rules applied from scratch
to everything that came before the window's end, whatever the window length.

The oracle (tests/scratch.py) scores the messages with scoring/ alone, sharing nothing with the
engine's session state; it is itself checked against the official totals of the bundled weekends
(tests/unit/test_oracle.py), and the whole race here must give data/feeds/expected's totals."""

from __future__ import annotations

import json
from datetime import timedelta

import redis
from bytewax.testing import run_main
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dataflows.assemble import store_flow
from gridscore.base.settings import Settings
from ingest.recorded import iter_lines
from store import live_keys
from tests.conftest import FEEDS
from tests.scratch import decode_all, score_from_scratch, session_table, weekend_totals

LAP_BY_LAP = FEEDS / "2023-01-bahrain.jsonl"
LINES = list(iter_lines(LAP_BY_LAP))
EXPECTED = json.loads((FEEDS / "expected" / f"{LAP_BY_LAP.stem}.json").read_text())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    window_ms=st.integers(min_value=50, max_value=300_000),
    prefix=st.integers(min_value=60, max_value=len(LINES)),
    batch_size=st.sampled_from([1, 7, 40, 1000]),
)
@example(window_ms=500, prefix=len(LINES), batch_size=1000)  # the whole race: the official totals
def test_live_points_equal_scoring_from_scratch_on_the_same_prefix(
    window_ms: int, prefix: int, batch_size: int, tmp_path_factory, db: str, redis_url: str
) -> None:
    """Replay the first `prefix` messages through windows of any length and source batches of any
    size: what Redis holds equals the rules applied from scratch to those messages.

    (Lap messages carry their start as event time but arrive at their end, so they are late by a
    lap: they take the flow's late path, which this property covers too.)
    """
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    feed = tmp_path_factory.mktemp("prefix") / "prefix.jsonl"
    feed.write_bytes(b"\n".join(LINES[:prefix]) + b"\n")
    windows: list[int] = []
    flow = store_flow(
        db,
        redis_url,
        [feed],
        Settings(),
        book=None,
        window=timedelta(milliseconds=window_ms),
        on_written=lambda w: windows.append(w.weekend.session.points.session_key),
        batch_size=batch_size,
    )
    run_main(flow)
    assert windows, "at least one window was written"
    expected = score_from_scratch(decode_all(LINES[:prefix]))
    for key, points in expected.items():
        stored = json.loads(client.get(live_keys.session_assets(key)) or b"{}")
        got = {"drivers": stored.get("drivers"), "constructors": stored.get("constructors")}
        assert got == session_table(points), f"session {key} after {prefix} messages"
    doc = json.loads(client.get(live_keys.meeting_points(202301)) or b"{}")
    weekend = {"drivers": doc["drivers"], "constructors": doc["constructors"]}
    assert weekend == weekend_totals(expected.values())
    if prefix == len(LINES):
        assert weekend == EXPECTED
    client.close()
