"""`gridscore bench`'s live latency keys: the real engine (`gridscore live`) on 2,000 teams, the
Bahrain 2023 race published through the broker, and every change of the weekend's points seen on
f1/scoring and, with its teams' totals, in Redis (timings reported, never asserted)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench import LAP_BY_LAP, LATENCY_KEYS, live_latency
from benchmarks.replay import prepare_teams
from ingest.feeds import summarise
from scoring.rules import DEFAULT_RULESET


def test_every_points_change_reaches_mqtt_and_redis_with_its_teams(
    db: str, redis_url: str, mqtt_url: str, tmp_path: Path
) -> None:
    summary = summarise([LAP_BY_LAP])
    prepare_teams(db, summary.meeting_keys[0], summary.drivers, summary.constructors, 2_000, DEFAULT_RULESET)
    result = live_latency(db, redis_url, 2_000, duration_s=12, data_dir=tmp_path)
    assert set(LATENCY_KEYS) <= result.keys()
    assert result["teams"] == 2_000
    changes = result["scoring_messages"]
    assert changes > 20, "12 s of the race at 60x change the points many times"
    assert result["publish_to_mqtt"]["n"] == changes, "every change of the points was published"
    assert result["publish_to_totals"]["n"] == changes, "and every team's total caught up with it"
    assert result["totals_reads_not_matching_points"] == 0, "totals are always those of their points"
    assert result["publish_to_leagues"]["n"] > 0
    assert 0 < result["publish_to_points_ms_p50"] <= result["publish_to_points_ms_p99"]
    assert 0 < result["publish_to_totals_ms_p50"] <= result["publish_to_totals_ms_p99"]
