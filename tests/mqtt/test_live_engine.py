"""`gridscore live` against the real Mosquitto, fed by `gridscore publish` with the five shared feeds.

One engine process for every feed (and some bad input first): the retained points document of each
weekend equals the expected totals, Postgres holds the same final results as `gridscore score`, the
league and team topics agree with Redis, every bad message is counted and published with its reason,
and the journal holds every message received.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import psycopg
import pytest
import redis

from benchmarks.replay import prepare_teams
from dataflows.runner import score_feeds
from ingest.broker import BrokerConfig, Publisher
from ingest.decode import Envelope
from ingest.feeds import summarise
from ingest.journal import JournalTail
from ingest.recorded import iter_lines
from store import live_keys
from store.live_read import LiveReader
from store.urls import libpq_url
from tests.conftest import FEEDS, SHARED_FEEDS, empty_database
from tests.mqtt.conftest import (
    PUBLISH_RATE,
    Engine,
    Inbox,
    Prefixes,
    engine_env,
    forget_session,
    gridscore,
    retained,
)

pytestmark = pytest.mark.mqtt

TEAMS_FEED = FEEDS / "2025-03-japan.jsonl"
TEAMS = 300
LEAGUE_TOP_N = 5
BAD_INPUTS: list[tuple[str, bytes, str]] = [  # (collection, payload, expected reason category)
    ("position", b'{"session_key": 1, "driver_number": ', "malformed"),
    ("position", b'{"session_key": "abc", "driver_number": 1, "date": "x", "position": "P1"}', "invalid"),
    ("laps", b'{"session_key": 1, "padding": "' + b"x" * 70_000 + b'"}', "oversized"),
    ("tyre_pressure", b'{"session_key": 1, "driver_number": 1, "psi": 22.5}', "unknown_topic"),
]


def meeting_of(feed: Path) -> int:
    return summarise([feed]).meeting_keys[0]


def expected_totals(feed: Path) -> dict[str, dict[str, int]]:
    return json.loads((FEEDS / "expected" / f"{feed.stem}.json").read_text())


@dataclass
class LiveRun:
    prefixes: Prefixes
    engine: Engine
    inbox: Inbox
    database_url: str
    redis_url: str
    journal: Path
    published: int


def _all_final(prefixes: Prefixes) -> Callable[[Inbox], bool]:
    wanted = {meeting_of(feed): expected_totals(feed) for feed in SHARED_FEEDS}

    def check(inbox: Inbox) -> bool:
        latest = inbox.latest(prefixes.output)
        for meeting, totals in wanted.items():
            message = latest.get(f"{prefixes.output}{meeting}/points")
            if message is None:
                return False
            document = message.json()
            if not document["final"] or {k: document[k] for k in ("drivers", "constructors")} != totals:
                return False
        return True

    return check


@pytest.fixture(scope="module")
def live_run(
    mqtt_url: str, database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveRun]:
    empty_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    summary = summarise([TEAMS_FEED])
    prepare_teams(
        database_url, summary.meeting_keys[0], summary.drivers, summary.constructors, TEAMS, "f1fantasy-2025"
    )
    prefixes = Prefixes.unique()
    folder = tmp_path_factory.mktemp("live")
    env = engine_env(
        prefixes,
        database_url,
        redis_url,
        folder / "data",
        MQTT_JOURNAL=str(folder / "journal.jsonl"),
        MQTT_LEAGUE_TOP_N=str(LEAGUE_TOP_N),
        MQTT_BULK_INTERVAL_MS="300",
        MQTT_TEAM_TOPICS="1",
    )
    inbox = Inbox.subscribe(mqtt_url, f"{prefixes.run}/f1/#")
    engine = Engine(env, folder / "live.log").start()
    try:
        bad = Publisher(BrokerConfig.from_url(mqtt_url, f"gridscore-{prefixes.run}-bad"))
        for collection, payload, _ in BAD_INPUTS:
            bad.publish(prefixes.input + collection, payload)
        assert bad.flush(10)
        bad.close()
        gridscore(
            "publish",
            *map(str, SHARED_FEEDS),
            "--speed",
            "0",
            "--max-rate",
            PUBLISH_RATE,
            "--prefix",
            prefixes.input,
            env=env,
        )
        published = len(BAD_INPUTS) + sum(sum(1 for _ in iter_lines(f)) for f in SHARED_FEEDS)
        try:
            inbox.wait_for(_all_final(prefixes), 240, "every weekend's final points")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{engine.tail()}") from None
        yield LiveRun(prefixes, engine, inbox, database_url, redis_url, folder / "journal.jsonl", published)
    finally:
        code = engine.stop()
        inbox.close()
        forget_session(mqtt_url, env["MQTT_CLIENT_ID"])
    assert code == 0, f"gridscore live did not stop cleanly ({code}):\n{engine.tail()}"


@pytest.mark.parametrize("feed", SHARED_FEEDS, ids=lambda p: p.stem)
def test_retained_points_equal_the_expected_totals(live_run: LiveRun, mqtt_url: str, feed: Path) -> None:
    meeting = meeting_of(feed)
    topic = f"{live_run.prefixes.output}{meeting}/points"
    document = retained(mqtt_url, topic, settle=0.5)[topic].json()
    assert {k: document[k] for k in ("drivers", "constructors")} == expected_totals(feed)
    assert document["meeting_key"] == meeting
    assert document["final"] is True
    assert isinstance(document["session_key"], int)
    with LiveReader(live_run.redis_url) as reader:
        assert reader.points(meeting) == document


@pytest.mark.parametrize("feed", SHARED_FEEDS, ids=lambda p: p.stem)
def test_final_results_in_postgres_equal_gridscore_score(live_run: LiveRun, feed: Path) -> None:
    scored = score_feeds([feed]).as_json()
    with psycopg.connect(libpq_url(live_run.database_url)) as conn:
        rows = conn.execute(
            "SELECT a.asset_kind::text, a.asset_name, sum(a.points) FROM asset_result a"
            " JOIN race_session s USING (session_key) WHERE s.meeting_key = %s AND s.state = 'final'"
            " GROUP BY 1, 2",
            (meeting_of(feed),),
        ).fetchall()
    stored: dict[str, dict[str, int]] = {"drivers": {}, "constructors": {}}
    for kind, name, points in rows:
        stored["drivers" if kind == "driver" else "constructors"][name] = int(points)
    assert stored == scored


def test_session_tables_are_retained_and_add_up_to_the_weekend(live_run: LiveRun, mqtt_url: str) -> None:
    meeting = meeting_of(TEAMS_FEED)
    sessions = retained(mqtt_url, f"{live_run.prefixes.output}{meeting}/sessions/+", settle=0.5)
    assert len(sessions) >= 2
    drivers: Counter[str] = Counter()
    for message in sessions.values():
        document = message.json()
        assert document["meeting_key"] == meeting
        assert document["final"] is True
        drivers.update({name: asset["total"] for name, asset in document["drivers"].items()})
    assert dict(drivers) == expected_totals(TEAMS_FEED)["drivers"]


def test_league_tops_and_team_totals_agree_with_redis(live_run: LiveRun) -> None:
    meeting = meeting_of(TEAMS_FEED)
    reader = LiveReader(live_run.redis_url)
    leagues_prefix = f"{live_run.prefixes.output}{meeting}/leagues/"
    teams_prefix = f"{live_run.prefixes.output}{meeting}/teams/"

    def settled(inbox: Inbox) -> bool:
        leagues = inbox.latest(leagues_prefix)
        teams = inbox.latest(teams_prefix)
        if not leagues or len(teams) != TEAMS:
            return False
        for message in leagues.values():
            document = message.json()
            size, top = reader.league(meeting, document["league_id"], 0, LEAGUE_TOP_N)
            if document["teams"] != size or document["top"] != [
                {"rank": s.rank, "team_id": s.team_id, "points": s.points} for s in top
            ]:
                return False
        for message in teams.values():
            document = message.json()
            standing = reader.team(meeting, document["team_id"])
            if standing is None or (standing.points, standing.rank) != (document["points"], document["rank"]):
                return False
        return True

    try:
        live_run.inbox.wait_for(settled, 20, "league and team topics equal to Redis")
    finally:
        reader.close()
    assert not any(m.retained for m in live_run.inbox.latest(leagues_prefix).values())
    with psycopg.connect(libpq_url(live_run.database_url)) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT team_id) FROM team_result r JOIN race_session s"
            " USING (session_key) WHERE s.meeting_key = %s AND s.name = 'Race'",
            (meeting,),
        ).fetchone()
    assert row == (TEAMS, TEAMS)


def test_bad_input_is_counted_and_published_with_its_reason(live_run: LiveRun) -> None:
    rejected = [m.json() for m in live_run.inbox.snapshot() if m.topic == live_run.prefixes.rejected]
    by_category = {doc["reason"].split(":", 1)[0]: doc for doc in rejected}
    for collection, payload, category in BAD_INPUTS:
        assert category in by_category, f"no {category} message on {live_run.prefixes.rejected}: {rejected}"
        document = by_category[category]
        assert document["topic"] == live_run.prefixes.input + collection
        assert document["raw"] == payload[:2048].decode()[: len(document["raw"])]
        assert isinstance(document["offset"], int)
        assert document["offset"] >= 0
        assert document["at"]
    counts = redis.Redis.from_url(live_run.redis_url).hgetall(live_keys.rejected_count())
    for _, _, category in BAD_INPUTS:
        assert int(counts[category.encode()]) >= 1


def test_journal_holds_every_message_in_order(live_run: LiveRun) -> None:
    tail = JournalTail(live_run.journal, 0)
    journaled = tail.read(1_000_000)
    tail.close()
    assert len(journaled) == live_run.published, "messages lost between the publisher and the journal"
    assert [m.offset for m in journaled] == list(range(len(journaled)))
    bad = len(BAD_INPUTS)
    for message, (collection, payload, category) in zip(journaled[:bad], BAD_INPUTS, strict=True):
        assert message.topic == live_run.prefixes.input + collection
        if category == "oversized":  # the journal keeps its size and first KiB, as the rejection does
            assert len(message.payload) == len(payload)
            assert message.payload[:1024] == payload[:1024]
        else:
            assert message.payload == payload
    sent = []
    for feed in SHARED_FEEDS:
        for line in iter_lines(feed):
            envelope = msgspec.json.decode(line, type=Envelope)
            sent.append((live_run.prefixes.input + envelope.topic[3:], bytes(envelope.payload)))
    assert [(m.topic, m.payload) for m in journaled[bad:]] == sent, "topics and payloads byte for byte"
