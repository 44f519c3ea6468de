"""`gridscore bench`'s live latency keys: the real engine (`gridscore live`) on 2,000 teams, the
Bahrain 2023 race published through the broker, and every change of the weekend's points seen on
f1/scoring and, with its teams' totals, in Redis (timings reported, never asserted). The bench runs
it in the database where it replayed the race to its end: the weekend is set in play again, so that
the engine loads the teams before the race, as live, and not at the first message."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from benchmarks import mqtt_latency
from benchmarks.bench import LAP_BY_LAP, LATENCY_KEYS, live_latency
from benchmarks.replay import prepare_teams
from gridscore.base.services import ServiceUrls
from ingest.feeds import summarise
from scoring.rules import DEFAULT_RULESET
from store.calendar import MeetingRow, SessionRow, upsert_meetings, upsert_sessions
from store.urls import libpq_url


def finish_the_race(db: str, meeting: int) -> None:
    """What the bench's refresh replay leaves: the meeting's Race final."""
    with psycopg.connect(libpq_url(db)) as conn:
        upsert_meetings(conn, [MeetingRow(meeting, 2023, "Bahrain", None, None, None)])
        upsert_sessions(conn, [SessionRow(meeting * 10, meeting, "Race", None)], final=True)
        conn.commit()


def test_every_points_change_reaches_mqtt_and_redis_with_its_teams(
    db: str, redis_url: str, mqtt_url: str, tmp_path: Path
) -> None:
    summary = summarise([LAP_BY_LAP])
    meeting = summary.meeting_keys[0]
    prepare_teams(db, meeting, summary.drivers, summary.constructors, 2_000, DEFAULT_RULESET)
    finish_the_race(db, meeting)
    result = live_latency(db, redis_url, 2_000, duration_s=12, data_dir=tmp_path)
    assert set(LATENCY_KEYS) <= result.keys()
    assert result["teams"] == 2_000
    log = next(tmp_path.glob("*/live.log")).read_text()
    assert f"loading the teams of meetings [{meeting}] before their windows" in log, "in play again"
    changes = result["scoring_messages"]
    assert changes > 20, "12 s of the race at 60x change the points many times"
    assert result["publish_to_mqtt"]["n"] == changes, "every change of the points was published"
    assert result["publish_to_totals"]["n"] == changes, "and every team's total caught up with it"
    assert result["totals_reads_not_matching_points"] == 0, "totals are always those of their points"
    assert result["publish_to_leagues"]["n"] > 0
    assert 0 < result["publish_to_points_ms_p50"] <= result["publish_to_points_ms_p99"]
    assert 0 < result["publish_to_totals_ms_p50"] <= result["publish_to_totals_ms_p99"]


def test_a_finished_race_is_refused_without_reopening_it(db: str, redis_url: str, tmp_path: Path) -> None:
    """Standalone, the weekend of a database where its Race is final is an error, not latencies
    that time the teams' load at the first message."""
    summary = summarise([LAP_BY_LAP])
    meeting = summary.meeting_keys[0]
    prepare_teams(db, meeting, summary.drivers, summary.constructors, 100, DEFAULT_RULESET)
    finish_the_race(db, meeting)
    args = mqtt_latency.parser().parse_args(
        ["--teams", "100", "--duration", "1", "--data-dir", str(tmp_path)]
    )
    with pytest.raises(RuntimeError, match=f"the Race of meeting {meeting} is final"):
        mqtt_latency.run(args, ServiceUrls(db, redis_url))
    assert not list(tmp_path.glob("*/live.log")), "no engine was started"
