"""`gridscore publish --speed 0` delivers every message (issue 12, finding 5).

Mosquitto acknowledges a QoS 1 message once it has queued it, and drops what a subscriber falls
more than `max_queued_messages` (1,000 by default) behind: an unpaced publish of the 2,110-message
Silverstone weekend lost 68, the Race results among them. Here a subscriber that takes 0.5 ms per
message (at most 2,000 a second; unpaced it got 1,139 of 2,110 on this machine's default broker)
listens next to a live engine:

- on the machine's Mosquitto (default queues), `gridscore publish FEED --speed 0` with its default
  pacing (an in-flight window and a rate cap) gets every message to both, and the engine's retained
  points are the weekend's official final totals;
- on a private Mosquitto with the queue limits of deploy/mosquitto/mosquitto.conf, even a publish
  with no rate cap reaches the slow subscriber whole: the deployed broker fits a race weekend.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import msgspec
import paho.mqtt.client as paho
import pytest

from ingest.broker import BrokerConfig
from ingest.decode import Envelope
from ingest.feeds import summarise
from ingest.recorded import iter_lines
from tests.conftest import FEEDS
from tests.mqtt.conftest import Engine, Prefixes, engine_env, forget_session, gridscore, retained
from tests.test_mqtt_acl import broker  # noqa: F401  (the private Mosquitto fixture)

pytestmark = pytest.mark.mqtt

FEED = FEEDS / "2023-10-britain.jsonl"  # the weekend of the finding: 2,110 messages
SLOW_S = 0.0005  # the slow subscriber's time per message


def feed_messages(prefix: str) -> Counter[tuple[str, bytes]]:
    out: Counter[tuple[str, bytes]] = Counter()
    for line in iter_lines(FEED):
        envelope = msgspec.json.decode(line, type=Envelope)
        out[prefix + envelope.topic.removeprefix("v1/"), bytes(envelope.payload)] += 1
    return out


class SlowSubscriber:
    """A QoS 1 subscriber that spends SLOW_S on each message (paho acknowledges it after that)."""

    def __init__(self, config: BrokerConfig, topic_filter: str) -> None:
        self.messages: Counter[tuple[str, bytes]] = Counter()
        self._lock = threading.Lock()
        self.client = config.paho_client()
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe(topic_filter, qos=1)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(config.host, config.port, keepalive=30)
        self.client.loop_start()
        assert subscribed.wait(10), f"no SUBACK from {config.address}"

    def _on_message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        time.sleep(SLOW_S)
        with self._lock:
            self.messages[message.topic, bytes(message.payload)] += 1

    def count(self) -> int:
        with self._lock:
            return self.messages.total()

    def wait_for(self, expected: int, quiet_s: float = 3.0, timeout: float = 60.0) -> None:
        """Until `expected` messages are in, or nothing came for `quiet_s` (some were dropped)."""
        deadline = time.monotonic() + timeout
        last, last_change = -1, time.monotonic()
        while (seen := self.count()) < expected and time.monotonic() < deadline:
            if seen != last:
                last, last_change = seen, time.monotonic()
            elif time.monotonic() - last_change > quiet_s:
                return
            time.sleep(0.1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def slow_subscriber() -> Iterator[list[SlowSubscriber]]:
    opened: list[SlowSubscriber] = []
    yield opened
    for subscriber in opened:
        subscriber.close()


def test_speed_0_reaches_a_live_engine_and_a_slow_subscriber_whole(
    mqtt_url: str,
    prefixes: Prefixes,
    db: str,
    redis_url: str,
    tmp_path: Path,
    slow_subscriber: list[SlowSubscriber],
) -> None:
    journal = tmp_path / "journal.jsonl"
    env = engine_env(prefixes, db, redis_url, tmp_path / "data", MQTT_JOURNAL=str(journal))
    engine = Engine(env, tmp_path / "live.log")
    try:
        engine.start()
        slow = SlowSubscriber(
            BrokerConfig.from_url(mqtt_url, f"gridscore-test-slow-{uuid.uuid4().hex[:8]}"),
            f"{prefixes.input}#",
        )
        slow_subscriber.append(slow)
        expected = feed_messages(prefixes.input)
        started = time.monotonic()
        done = gridscore("publish", str(FEED), "--speed", "0", "--prefix", prefixes.input, env=env)
        published_s = time.monotonic() - started
        slow.wait_for(expected.total())
        assert slow.messages == expected, (
            f"the slow subscriber got {slow.count()} of {expected.total()} messages\n{done.stderr}"
        )
        topic = f"{prefixes.output}{summarise([FEED]).meeting_keys[0]}/points"

        def final_points() -> dict[str, object] | None:
            message = retained(mqtt_url, topic, settle=0.3).get(topic)
            document = message.json() if message is not None else None
            return document if document is not None and document["final"] else None

        deadline = time.monotonic() + 60
        while (document := final_points()) is None:
            assert time.monotonic() < deadline, f"no final points document\n{engine.tail()}"
            time.sleep(0.5)
        official = json.loads((FEEDS / "expected" / f"{FEED.stem}.json").read_text())
        assert {k: document[k] for k in ("drivers", "constructors")} == official
        assert journal.read_bytes().count(b"\n") == expected.total(), "the engine journaled every message"
        print(f"\n{expected.total()} messages published at --speed 0 in {published_s:.1f} s; {done.stderr}")
    finally:
        engine.stop()
        forget_session(mqtt_url, env["MQTT_CLIENT_ID"])


def test_the_deployed_broker_queues_a_whole_weekend_for_a_slow_subscriber(
    broker: int,  # noqa: F811
    prefixes: Prefixes,
    tmp_path: Path,
    slow_subscriber: list[SlowSubscriber],
) -> None:
    url = f"mqtt://127.0.0.1:{broker}"  # a broker of this module's own: topics as deployed, v1/...
    subscriber = BrokerConfig.from_url(url, f"slow-{prefixes.run}", "engine", "engine-test")
    slow = SlowSubscriber(subscriber, "v1/#")
    slow_subscriber.append(slow)
    expected = feed_messages("v1/")
    env = engine_env(prefixes, "postgresql://unused", "redis://unused", tmp_path / "data")
    env.update(MQTT_USERNAME="publisher", MQTT_PASSWORD="publisher-test")
    gridscore(
        "publish",
        str(FEED),
        "--broker",
        url,
        "--prefix",
        "v1/",
        "--speed",
        "0",
        "--max-rate",
        "0",
        "--window",
        "200",
        env=env,
    )
    slow.wait_for(expected.total())
    assert slow.messages == expected, f"the slow subscriber got {slow.count()} of {expected.total()}"
