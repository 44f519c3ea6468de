"""Final results: Postgres equals `gridscore score`, teams equal a per-team oracle, corrections
re-score, and repeated or re-versioned messages change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import psycopg
import redis
from bytewax.testing import run_main

from benchmarks.replay import prepare_teams
from dataflows.assemble import store_flow
from dataflows.runner import score_feeds
from gridscore.base.settings import Settings
from ingest.feeds import summarise
from store import live_keys
from store.urls import libpq_url
from tests.conftest import FEEDS

JAPAN = FEEDS / "2025-03-japan.jsonl"
BAHRAIN = FEEDS / "2025-04-bahrain.jsonl"


def replay(db: str, redis_url: str, feed: Path, teams: int) -> int:
    summary = summarise([feed])
    meeting = summary.meeting_keys[0]
    book = prepare_teams(db, meeting, summary.drivers, summary.constructors, teams, "f1fantasy-2025")
    run_main(store_flow(db, redis_url, [feed], Settings(), book=book, meeting_key=meeting))
    return meeting


def asset_totals(db: str, meeting: int) -> dict[str, dict[str, int]]:
    with psycopg.connect(libpq_url(db)) as conn:
        rows = conn.execute(
            "SELECT a.asset_kind::text, a.asset_name, sum(a.points) FROM asset_result a"
            " JOIN race_session s USING (session_key) WHERE s.meeting_key = %s GROUP BY 1, 2",
            (meeting,),
        ).fetchall()
    out: dict[str, dict[str, int]] = {"drivers": {}, "constructors": {}}
    for kind, name, points in rows:
        out["drivers" if kind == "driver" else "constructors"][name] = int(points)
    return out


def team_oracle(db: str, meeting: int, totals: dict[str, dict[str, int]]) -> dict[int, int]:
    """Each team's weekend points, one team at a time, straight from SCORING.md's team rules."""
    with psycopg.connect(libpq_url(db)) as conn:
        rosters = conn.execute(
            "SELECT team_id, drivers, constructors, boost_driver FROM roster WHERE meeting_key = %s",
            (meeting,),
        ).fetchall()
    expected = {}
    for team_id, drivers, constructors, boost in rosters:
        points = sum(totals["drivers"].get(d, 0) for d in drivers) + totals["drivers"].get(boost, 0)
        points += sum(totals["constructors"].get(c, 0) for c in constructors)
        expected[int(team_id)] = points
    return expected


def test_final_results_equal_score_and_every_team_is_right(
    db: str, redis_client: redis.Redis, redis_url: str
) -> None:
    meeting = replay(db, redis_url, JAPAN, teams=400)
    expected = json.loads((FEEDS / "expected" / "2025-03-japan.json").read_text())
    assert asset_totals(db, meeting) == expected == score_feeds([JAPAN]).as_json()

    oracle = team_oracle(db, meeting, expected)
    assert len(oracle) == 400
    with psycopg.connect(libpq_url(db)) as conn:
        race = conn.execute(
            "SELECT session_key FROM race_session WHERE meeting_key = %s AND name = 'Race'", (meeting,)
        ).fetchone()
        assert race is not None
        stored = dict(
            conn.execute(
                "SELECT team_id, weekend_points FROM team_result WHERE session_key = %s", race
            ).fetchall()
        )
        ranks = dict(
            conn.execute("SELECT team_id, rank FROM team_result WHERE session_key = %s", race).fetchall()
        )
    assert stored == oracle
    values = np.array(list(oracle.values()))
    assert ranks == {t: 1 + int((values > p).sum()) for t, p in oracle.items()}

    # Live state in Redis agrees with Postgres.
    ids = np.frombuffer(redis_client.get(live_keys.team_ids(meeting)) or b"", "<i8")
    live = np.frombuffer(redis_client.get(live_keys.team_totals(meeting)) or b"", "<i4")
    assert dict(zip(ids.tolist(), live.tolist(), strict=True)) == oracle
    points_doc = json.loads(redis_client.get(live_keys.meeting_points(meeting)) or b"{}")
    assert points_doc["final"] is True
    assert {k: points_doc[k] for k in ("drivers", "constructors")} == expected


def test_corrected_classification_rescores_redis_and_postgres(
    db: str, redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    lines = BAHRAIN.read_text().splitlines()
    results = [json.loads(x) for x in lines if '"v1/session_result"' in x and '"session_key": 2025044' in x]
    winner = next(r for r in results if r["payload"]["position"] == 1)
    correction = dict(winner, at="2025-04-13T19:00:00.000Z")
    correction["payload"] = dict(winner["payload"], position=None, dsq=True)
    feed = tmp_path / "corrected.jsonl"
    feed.write_text("\n".join([*lines, json.dumps(correction)]) + "\n")

    meeting = replay(db, redis_url, feed, teams=50)
    original = json.loads((FEEDS / "expected" / "2025-04-bahrain.json").read_text())
    corrected = score_feeds([feed]).as_json()
    assert corrected != original, "the correction must change the totals"
    assert asset_totals(db, meeting) == corrected
    with psycopg.connect(libpq_url(db)) as conn:
        rows = conn.execute(
            "SELECT asset_name, breakdown FROM asset_result"
            " WHERE session_key = 2025044 AND asset_kind = 'driver' AND breakdown ? 'disqualified'"
        ).fetchall()
    assert len(rows) == 2, "the post-race DSQ (Hulkenberg) and the corrected winner"
    points_doc = json.loads(redis_client.get(live_keys.meeting_points(meeting)) or b"{}")
    assert {k: points_doc[k] for k in ("drivers", "constructors")} == corrected
    assert team_oracle(db, meeting, corrected) == dict(
        zip(
            np.frombuffer(redis_client.get(live_keys.team_ids(meeting)) or b"", "<i8").tolist(),
            np.frombuffer(redis_client.get(live_keys.team_totals(meeting)) or b"", "<i4").tolist(),
            strict=True,
        )
    )


def test_duplicates_and_rekeyed_versions_change_nothing(tmp_path: Path) -> None:
    lines = (FEEDS / "2023-10-britain.jsonl").read_text().splitlines()
    noisy: list[str] = []
    for i, line in enumerate(lines):
        message = json.loads(line)
        if message["topic"] in ("v1/overtakes", "v1/position", "v1/pit"):
            message["payload"]["_key"] = f"k{i}"
            message["payload"]["_id"] = i
            noisy.append(json.dumps(message))
            again = json.loads(json.dumps(message))  # a newer version of the same document
            again["payload"]["_id"] = i + 1_000_000
            noisy.append(json.dumps(again))
        else:
            noisy.append(line)
        noisy.append(noisy[-1])  # and every message delivered twice
    feed = tmp_path / "noisy.jsonl"
    feed.write_text("\n".join(noisy) + "\n")
    expected = json.loads((FEEDS / "expected" / "2023-10-britain.json").read_text())
    assert score_feeds([feed]).as_json() == expected


def test_bad_input_is_counted_and_the_rest_is_scored(
    tmp_path: Path, redis_client: redis.Redis, redis_url: str, db: str
) -> None:
    lines = JAPAN.read_text().splitlines()
    bad = [
        '{"topic": "v1/laps", "at": "2025-04-06T05:10:00Z", "payload": {"session_key": ',  # malformed JSON
        '{"topic": "v1/position", "at": "2025-04-06T05:10:00Z", "payload": {"session_key": "x",'
        ' "driver_number": 1, "date": "2025-04-06T05:10:00Z", "position": 3}}',  # wrong type
        # unknown topic
        '{"topic": "v1/weather", "at": "2025-04-06T05:10:00Z", "payload": {"session_key": 2025034}}',
        '{"topic": "v1/overtakes", "at": "2025-04-06T05:10:00Z", "payload": {"session_key": 2025034,'
        ' "overtaking_driver_number": 99, "date": "2025-04-06T05:10:00Z"}}',  # unknown driver
    ]
    mixed = lines[:100] + bad + lines[100:]
    feed = tmp_path / "mixed.jsonl"
    feed.write_text("\n".join(mixed) + "\n")
    totals = score_feeds([feed])
    assert totals.as_json() == json.loads((FEEDS / "expected" / "2025-03-japan.json").read_text())
    assert dict(totals.rejected_by_reason) == {
        "malformed": 1,
        "invalid": 1,
        "unknown_topic": 1,
        "unknown_driver": 1,
    }

    replay(db, redis_url, feed, teams=10)
    counts = {k.decode(): int(v) for k, v in redis_client.hgetall(live_keys.rejected_count()).items()}
    assert counts == {"malformed": 1, "invalid": 1, "unknown_topic": 1, "unknown_driver": 1}
    kept = [json.loads(x) for x in redis_client.lrange(f"{live_keys.rejected_count()}:latest", 0, -1)]
    assert {k["reason"].split(":")[0] for k in kept} == set(counts)
