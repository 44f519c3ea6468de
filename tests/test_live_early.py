"""Live, points leave as soon as the flow takes a message, without waiting for the lateness bound;
an event that comes after newer ones were published re-scores its session and the points document
says it is a revision. Then the team totals and the league standings follow in Redis, each
announced with the meeting version (and points) it is of.

The real flow (`build_flow`, live clock) in this process, and a real Redis for the writer.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import redis
from bytewax.testing import TestingSink, run_main

from dataflows.config import ClockMode, flow_config
from dataflows.flow import FlowOutputs, build_flow
from dataflows.weekend_state import WeekendState
from gridscore.base.settings import Settings
from ingest.recorded import RawLine
from scoring.facts import SessionKind
from scoring.outcomes import ScoredWindow, TeamScores
from scoring.points import AssetPoints, SessionPoints
from scoring.teams import TeamBook, competition_ranks, league_standings
from scoring.weekend import SessionUpdate
from store import live_keys
from store.live import LiveWriter
from tests.test_bounded_state import OpenSource, _driver, _session, line

LATENESS = timedelta(milliseconds=500)


def test_points_go_out_per_batch_and_a_late_event_is_a_revision() -> None:
    """Four input batches: the session and two cars; a position (published at once: no window to
    wait for); a newer one; then one dated 1 s before that (twice the lateness bound), which changes
    the points. Only that
    last document is a revision, and the weekend counts one."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    key = 9_100
    batches = [
        [_session(key, 91, start, 0), _driver(key, 1, start, 1), _driver(key, 2, start, 2)],
        [_position_of(key, 1, 1, start + timedelta(seconds=60), 3)],
        [_position_of(key, 2, 2, start + timedelta(seconds=70), 4)],
        [_position_of(key, 1, 3, start + timedelta(seconds=69), 5)],  # late: 1 s before the last
    ]
    out: list[ScoredWindow] = []
    flow = build_flow(
        OpenSource(batches, lambda: len(out) >= len(batches), timeout_s=30),
        FlowOutputs(live=TestingSink(out)),
        replace(flow_config(Settings(), ClockMode.LIVE), lateness=LATENESS),
    )
    run_main(flow)
    documents = [w.weekend.points_document() for w in out]
    assert len(documents) == len(batches), "every batch that moved the points was published on its own"
    assert [d["revision"] for d in documents] == [False, False, False, True]
    assert [d["revisions"] for d in documents] == [0, 0, 0, 1]
    assert documents[-2]["drivers"] != documents[-1]["drivers"], "the late event changed the points"


def _position_of(key: int, number: int, position: int, date: datetime, offset: int) -> RawLine:
    payload = {"session_key": key, "driver_number": number, "date": date, "position": position}
    return line("position", payload, date, offset)


def _window(weekend: WeekendState, points: dict[str, int], book: TeamBook) -> ScoredWindow:
    session = SessionPoints(
        1,
        weekend.meeting_key,
        SessionKind.RACE,
        False,
        {k: AssetPoints({"position": v}) for k, v in points.items()},
        {},
    )
    update = weekend.update(SessionUpdate(session, "Race", None, None, None, False))
    return ScoredWindow(update, TeamScores(book, weekend=update))


def test_points_then_totals_then_standings_each_announced_with_their_version(
    redis_client: redis.Redis,
) -> None:
    """The live writer (teams in the background): the points at once, then every team's total and
    rank with the points document they are of, then every league's standings (never before the
    totals of their version), each part noted on the meeting's channel with the same version;
    three quick windows end with the last one's."""
    meeting = 92
    redis_client.flushdb()
    drivers = [f"driver:{n}" for n in ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF")]
    rosters = [
        (
            100 + i,
            [*(drivers[(i + j) % 6] for j in range(5)), "constructor:X", "constructor:Y"],
            [2, 1, 1, 1, 1, 1, 1],
        )
        for i in range(30)
    ]
    book = TeamBook.from_rosters(
        rosters, [(7, 100 + i) for i in range(30)] + [(8, 100 + i) for i in range(0, 30, 3)]
    )
    pubsub = redis_client.pubsub()
    pubsub.subscribe(live_keys.updates_channel(meeting))
    writer = LiveWriter(redis.Redis(connection_pool=redis_client.connection_pool), teams_in_background=True)
    weekend = WeekendState(meeting)
    windows = [
        _window(weekend, {d[7:]: (i + 1) * (k + 1) for k, d in enumerate(drivers)}, book) for i in range(3)
    ]
    for window in windows:
        writer.write(window)
    writer.close()

    notes = []
    while (message := pubsub.get_message(timeout=1.0)) is not None:
        if message["type"] == "message":
            notes.append(json.loads(message["data"]))
    assert [n["part"] for n in notes if n["part"] == "points"] == ["points"] * 3
    versions = {
        part: [n["version"] for n in notes if n["part"] == part] for part in ("points", "totals", "leagues")
    }
    assert versions["points"] == [1, 2, 3]
    assert versions["totals"][-1] == versions["leagues"][-1] == 3, "the latest window's totals and standings"
    assert all(v in versions["points"] for v in versions["totals"] + versions["leagues"])
    for at, note in enumerate(notes):  # sorted while the totals are written, but never written before them
        if note["part"] == "leagues":
            assert any(n["part"] == "totals" and n["version"] >= note["version"] for n in notes[:at])

    last = windows[-1].weekend
    totals = book.totals(last.asset_points())
    stored = np.frombuffer(redis_client.get(live_keys.team_totals(meeting)) or b"", "<i4")
    np.testing.assert_array_equal(stored, totals)
    np.testing.assert_array_equal(
        live_keys.ranks_from_table(redis_client.get(live_keys.team_rank_table(meeting)) or b"", stored),
        competition_ranks(totals),
    )
    assert json.loads(redis_client.get(live_keys.totals_points(meeting)) or b"{}") == json.loads(
        json.dumps(last.points_document())
    )
    assert int(redis_client.get(live_keys.totals_version(meeting)) or 0) == 3
    assert int(redis_client.get(live_keys.league_version(meeting)) or 0) == 3
    standings = league_standings(book, totals)
    np.testing.assert_array_equal(
        np.frombuffer(redis_client.get(live_keys.league_order(meeting)) or b"", "<i4"), standings.order
    )
    assert all(w.visible_at["points"] <= w.visible_at["totals"] for w in windows)
