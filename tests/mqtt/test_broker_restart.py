"""The broker restarts mid-weekend (issue 7 point 2): `gridscore live` reconnects and goes on.

A private Mosquitto on a free port (the machine's own broker is left alone), without persistence: the
restart loses every session and retained message. The engine sees Qualifying before the restart and
the Race after it; its receiver must subscribe again and its publisher must re-publish the retained
points document, and the final results must equal an uninterrupted `gridscore score`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from dataflows.runner import score_feeds
from ingest.feeds import summarise
from store import live_keys
from store.urls import libpq_url
from tests.conftest import FEEDS, empty_database
from tests.mqtt.conftest import Engine, Inbox, Prefixes, engine_env, gridscore, retained

pytestmark = pytest.mark.mqtt

FEED = FEEDS / "2025-04-bahrain.jsonl"
QUALIFYING = 2025043  # session_key of the feed's Qualifying, whose results end part 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateBroker:
    """A throwaway anonymous Mosquitto on 127.0.0.1:port that a test may kill and start again."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.url = f"mqtt://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        lines = ["user root"] if os.geteuid() == 0 else []
        lines += [
            "allow_anonymous true",
            f"listener {port} 127.0.0.1",
            "persistence false",
            f"log_dest file {folder / 'mosquitto.log'}",
            "connection_messages true",
        ]
        (folder / "mosquitto.conf").write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen(
            ["mosquitto", "-c", str(self.folder / "mosquitto.conf")], stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    why = self.process.stderr.read().decode() if self.process.stderr else ""
                    raise AssertionError(f"mosquitto exited: {why}") from None
                assert time.monotonic() < deadline, "the private broker did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    if shutil.which("mosquitto") is None:
        if os.environ.get("GRIDSCORE_REQUIRE_SERVICES") == "1":
            pytest.fail("mosquitto is not installed, and GRIDSCORE_REQUIRE_SERVICES=1")
        pytest.skip("mosquitto is not installed: the broker restart test is skipped")
    folder = tmp_path / "broker"
    folder.mkdir()
    broker = PrivateBroker(folder, _free_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


def _split_feed(folder: Path) -> tuple[Path, Path]:
    """Part 1: everything up to and including the Qualifying results; part 2: the rest."""
    lines = FEED.read_text().splitlines(keepends=True)
    last = max(
        i
        for i, line in enumerate(lines)
        if (record := json.loads(line))["topic"] == "v1/session_result"
        and record["payload"]["session_key"] == QUALIFYING
    )
    first, second = folder / "part1.jsonl", folder / "part2.jsonl"
    first.write_text("".join(lines[: last + 1]))
    second.write_text("".join(lines[last + 1 :]))
    assert last + 1 < len(lines), "part 2 would be empty"
    return first, second


def test_engine_reconnects_after_the_broker_restarts(
    private_broker: PrivateBroker, prefixes: Prefixes, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    empty_database(database_url)
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    part1, part2 = _split_feed(tmp_path)
    url = private_broker.url
    env = engine_env(prefixes, database_url, redis_url, tmp_path / "data", MQTT_URL=url)
    meeting = summarise([FEED]).meeting_keys[0]
    expected = json.loads((FEEDS / "expected" / f"{FEED.stem}.json").read_text())
    topic = f"{prefixes.output}{meeting}/points"
    engine = Engine(env, tmp_path / "live.log").start()
    process = engine.process
    assert process is not None

    def publish(part: Path) -> None:
        gridscore(
            "publish", str(part), "--broker", url, "--prefix", prefixes.input, "--max-rate", "500", env=env
        )

    def wait_for(check: Callable[[], object], what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert process.poll() is None, f"gridscore live exited ({process.returncode}):\n{engine.tail()}"
            assert time.monotonic() < deadline, (
                f"timed out after {timeout:.0f} s waiting for {what}\n{engine.tail()}"
            )
            time.sleep(0.1)

    inbox: Inbox | None = None
    try:
        publish(part1)
        wait_for(
            lambda: (
                store.exists(live_keys.session_assets(QUALIFYING))
                and store.exists(live_keys.meeting_points(meeting))
            ),
            "the Qualifying points in Redis",
        )
        log_before = len(engine.log_text())

        private_broker.kill()
        time.sleep(2.0)
        assert process.poll() is None, f"the engine died with the broker:\n{engine.tail()}"
        private_broker.start()
        engine.wait_for_log("subscribed to", 20, log_before)  # the receiver subscribed again
        assert process.poll() is None

        inbox = Inbox.subscribe(url, topic)
        publish(part2)

        def final() -> bool:
            message = inbox.latest().get(topic) if inbox is not None else None
            return message is not None and message.json()["final"] is True

        wait_for(final, "the weekend's final points after the restart")
        document = retained(url, topic, settle=0.5)[topic].json()
        assert {k: document[k] for k in ("drivers", "constructors")} == expected
        assert document["final"] is True

        with psycopg.connect(libpq_url(database_url)) as conn:
            rows = conn.execute(
                "SELECT a.asset_kind::text, a.asset_name, sum(a.points) FROM asset_result a"
                " JOIN race_session s USING (session_key) WHERE s.meeting_key = %s AND s.state = 'final'"
                " GROUP BY 1, 2",
                (meeting,),
            ).fetchall()
        stored: dict[str, dict[str, int]] = {"drivers": {}, "constructors": {}}
        for kind, name, points in rows:
            stored["drivers" if kind == "driver" else "constructors"][name] = int(points)
        assert stored == score_feeds([FEED]).as_json()
        assert process.poll() is None, f"the engine exited:\n{engine.tail()}"
        after = engine.log_text()[log_before:]
        assert "reconnecting in" in after, f"no reconnect in the engine's log:\n{engine.tail()}"
    finally:
        if inbox is not None:
            inbox.close()
        code = engine.stop()
    assert code == 0, f"gridscore live did not stop cleanly ({code}):\n{engine.tail()}"
