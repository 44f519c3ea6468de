"""`gridscore live` killed with SIGKILL while a feed is being published, then restarted: the journal and
Bytewax recovery give the same final results as an uninterrupted run (issue 7's kill test, once)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import redis

from ingest.feeds import summarise
from tests.conftest import FEEDS, empty_database
from tests.mqtt.conftest import GRIDSCORE, Engine, Inbox, Prefixes, engine_env, forget_session, retained

pytestmark = pytest.mark.mqtt

FEED = FEEDS / "2025-04-bahrain.jsonl"
RATE = "60"  # about 5 s for the feed: the kill lands mid-feed, and the broker queues what comes meanwhile


def wait_for_journal(folder: Path, lines: int, timeout_s: float = 30.0) -> Path:
    """The engine's journal once it holds `lines` messages (the engine is up and receiving)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for journal in folder.glob("*.jsonl"):
            if journal.read_bytes().count(b"\n") >= lines:
                return journal
        time.sleep(0.05)
    raise AssertionError(f"no journal in {folder} reached {lines} lines in {timeout_s:.0f} s")


def test_killed_engine_resumes_from_its_journal(
    mqtt_url: str, prefixes: Prefixes, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    empty_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    env = engine_env(
        prefixes, database_url, redis_url, tmp_path / "data", GRIDSCORE_SNAPSHOT_INTERVAL_MS="200"
    )
    meeting = summarise([FEED]).meeting_keys[0]
    expected = json.loads((FEEDS / "expected" / f"{FEED.stem}.json").read_text())
    topic = f"{prefixes.output}{meeting}/points"
    engine = Engine(env, tmp_path / "live.log").start()
    inbox = Inbox.subscribe(mqtt_url, topic)
    publisher = subprocess.Popen(
        [str(GRIDSCORE), "publish", str(FEED), "--max-rate", RATE, "--prefix", prefixes.input],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        journal = wait_for_journal(
            tmp_path / "data" / "journal", lines=20
        )  # mid-feed, however slow the start
        engine.kill()
        at_kill = journal.read_bytes().count(b"\n")
        engine.start()
        assert publisher.wait(60) == 0, publisher.stderr.read() if publisher.stderr else ""

        def final(box: Inbox) -> bool:
            message = box.latest().get(topic)
            return message is not None and message.json()["final"] is True

        try:
            inbox.wait_for(final, 60, "the weekend's final points after the restart")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{engine.tail()}") from None
        document = retained(mqtt_url, topic, settle=0.5)[topic].json()
        assert {k: document[k] for k in ("drivers", "constructors")} == expected
        assert 0 < at_kill < sum(1 for _ in FEED.open()), "the kill should land mid-feed"
        assert "flow starts at offset" in engine.tail(200)
    finally:
        if publisher.poll() is None:
            publisher.kill()
        engine.stop()
        inbox.close()
        forget_session(mqtt_url, env["MQTT_CLIENT_ID"])
