"""The repo's Mosquitto ACL against a real broker (deploy/mosquitto/test-broker.sh on a free port):
only the feed publisher writes v1/#, only the engine writes f1/scoring/#, outside subscribers write
nothing, and a wrong password or an anonymous client is refused.

MQTT 3.1.1 has no negative PUBACK: the broker acknowledges a denied PUBLISH and drops it. So each
denied publish is checked where it would land: once it is acknowledged, an allowed client publishes
a sentinel to the same topic; when an authorised subscriber has the sentinel it would have had the
denied message before it (one broker, one connection, in order). MQTT 5 does say no (0x87).
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from tests.api.server import free_port
from tests.conftest import ROOT

pytestmark = pytest.mark.mqtt

SCRIPT = ROOT / "deploy" / "mosquitto" / "test-broker.sh"
PASSWORDS = {
    "publisher": "publisher-test",
    "engine": "engine-test",
    "api": "api-test",
    "subscriber": "subscriber-test",
}
TIMEOUT = 5.0
NOT_AUTHORISED = 0x87
BAD_CREDENTIALS = 0x86


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A throwaway Mosquitto with the ACL and the test passwords; yields its port."""
    missing = [b for b in ("mosquitto", "mosquitto_passwd", "mosquitto_sub") if shutil.which(b) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed: the MQTT ACL test needs Mosquitto"
        if os.environ.get("GRIDSCORE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}, and GRIDSCORE_REQUIRE_SERVICES=1")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("acl") / "broker"
    port = free_port()
    started = subprocess.run(
        ["bash", str(SCRIPT), str(folder), str(port)], capture_output=True, text=True, timeout=60, check=False
    )
    assert started.returncode == 0, f"test-broker.sh failed:\n{started.stdout}\n{started.stderr}"
    pid = int((folder / "mosquitto.pid").read_text())
    try:
        yield port
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=30, check=False
        )
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 0)
            pytest.fail(f"the test broker (pid {pid}) is still running after test-broker.sh stop")


class Session:
    """One connected client that keeps what it receives."""

    def __init__(self, port: int, user: str | None, password: str | None, protocol: int) -> None:
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"acl-{user}-{uuid.uuid4().hex[:8]}", protocol=protocol
        )
        if user is not None:
            self.client.username_pw_set(user, password)
        self.connack: queue.Queue[ReasonCode] = queue.Queue()
        self.subacks: queue.Queue[list[ReasonCode]] = queue.Queue()
        self.pubacks: dict[int, ReasonCode] = {}
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.client.on_connect = lambda c, u, flags, rc, props: self.connack.put(rc)
        self.client.on_subscribe = lambda c, u, mid, codes, props: self.subacks.put(codes)
        self.client.on_publish = self._on_publish
        self.client.on_message = lambda c, u, m: self.inbox.put((m.topic, bytes(m.payload)))
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        self.reason = self.connack.get(timeout=TIMEOUT)

    def _on_publish(
        self, client: paho.Client, userdata: object, mid: int, rc: ReasonCode, props: Properties
    ) -> None:
        self.pubacks[mid] = rc

    def subscribe(self, topic_filter: str) -> None:
        self.client.subscribe(topic_filter, qos=1)
        codes = self.subacks.get(timeout=TIMEOUT)
        assert all(not code.is_failure for code in codes), f"{topic_filter}: {codes}"

    def publish(self, topic: str, payload: bytes) -> ReasonCode:
        """Publish at QoS 1 and wait for the broker's PUBACK (its reason code, under MQTT 5)."""
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published(), f"no PUBACK for {topic}"
        return self.pubacks[info.mid]

    def received_until(self, sentinel: bytes) -> list[bytes]:
        """Every payload received up to and including `sentinel`."""
        payloads: list[bytes] = []
        while sentinel not in payloads:
            payloads.append(self.inbox.get(timeout=TIMEOUT)[1])
        return payloads

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


Connect = Callable[..., Session]  # (user, protocol=MQTTv311) -> a connected Session


@pytest.fixture
def connect(broker: int) -> Iterator[Connect]:
    opened: list[Session] = []

    def open_session(user: str, protocol: int = paho.MQTTv311) -> Session:
        session = Session(broker, user, PASSWORDS[user], protocol)
        opened.append(session)
        assert not session.reason.is_failure, f"{user} could not connect: {session.reason}"
        return session

    yield open_session
    for session in opened:
        session.close()


def test_the_publisher_writes_the_feed_and_cannot_write_scores(connect: Connect) -> None:
    publisher, engine, subscriber = (connect(u) for u in ("publisher", "engine", "subscriber"))
    engine.subscribe("v1/#")
    subscriber.subscribe("f1/scoring/#")

    publisher.publish("v1/laps", b"lap")
    assert engine.received_until(b"lap") == [b"lap"]

    publisher.publish("f1/scoring/202310/points", b"forged by the publisher")
    engine.publish("f1/scoring/202310/points", b"sentinel")
    assert subscriber.received_until(b"sentinel") == [b"sentinel"]


def test_the_engine_writes_scores_and_cannot_write_the_feed(connect: Connect) -> None:
    engine, feed_reader, api, publisher = (connect(u) for u in ("engine", "engine", "api", "publisher"))
    api.subscribe("f1/#")
    feed_reader.subscribe("v1/#")

    engine.publish("f1/scoring/202310/points", b"points")
    engine.publish("f1/ingest/rejected", b"rejected")
    assert api.received_until(b"rejected") == [b"points", b"rejected"]

    engine.publish("v1/laps", b"forged by the engine")
    publisher.publish("v1/laps", b"sentinel")
    assert feed_reader.received_until(b"sentinel") == [b"sentinel"]


def test_a_subscriber_cannot_publish(connect: Connect) -> None:
    subscriber, api, feed_reader = (connect(u) for u in ("subscriber", "api", "engine"))
    engine, publisher = connect("engine"), connect("publisher")
    api.subscribe("f1/#")
    feed_reader.subscribe("v1/#")

    subscriber.publish("f1/scoring/202310/points", b"forged score")
    subscriber.publish("v1/laps", b"forged lap")
    engine.publish("f1/scoring/202310/points", b"score sentinel")
    publisher.publish("v1/laps", b"feed sentinel")
    assert api.received_until(b"score sentinel") == [b"score sentinel"]
    assert feed_reader.received_until(b"feed sentinel") == [b"feed sentinel"]


def test_mqtt5_publishers_are_told_not_authorised(connect: Connect) -> None:
    publisher = connect("publisher", paho.MQTTv5)
    engine = connect("engine", paho.MQTTv5)
    assert publisher.publish("f1/scoring/202310/points", b"forged").value == NOT_AUTHORISED
    assert engine.publish("v1/laps", b"forged").value == NOT_AUTHORISED
    assert not publisher.publish("v1/laps", b"lap").is_failure
    assert not engine.publish("f1/scoring/202310/points", b"points").is_failure


@pytest.mark.parametrize("protocol", [paho.MQTTv311, paho.MQTTv5], ids=["3.1.1", "5"])
def test_a_wrong_password_and_an_anonymous_client_are_refused(broker: int, protocol: int) -> None:
    for user, password in (("engine", "wrong"), ("nobody", "engine-test"), (None, None)):
        session = Session(broker, user, password, protocol)
        try:
            assert session.reason.value in (BAD_CREDENTIALS, NOT_AUTHORISED), (user, session.reason)
        finally:
            session.close()
    allowed = Session(broker, "engine", PASSWORDS["engine"], protocol)  # the same path does connect
    try:
        assert not allowed.reason.is_failure
    finally:
        allowed.close()
