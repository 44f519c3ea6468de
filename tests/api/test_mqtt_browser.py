"""Browser MQTT against the repo's Mosquitto configuration (deploy/mosquitto/test-broker.sh with a
WebSockets listener): a player logged in with its user id reads its own notifications over WebSockets,
never another player's. Without Mosquitto the test skips, saying so (fails under
GRIDSCORE_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.api.server import free_port

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "test-broker.sh"
ALICE, BOB = "41", "42"  # GridScore user ids as MQTT user names
TIMEOUT = 10


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    missing = [b for b in ("mosquitto", "mosquitto_passwd", "mosquitto_sub") if shutil.which(b) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed: browser MQTT needs Mosquitto"
        if os.environ.get("GRIDSCORE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}, and GRIDSCORE_REQUIRE_SERVICES=1")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("ws") / "broker"
    port, ws_port = free_port(), free_port()
    started = subprocess.run(
        ["bash", str(SCRIPT), str(folder), str(port), str(ws_port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode == 0, f"test-broker.sh failed:\n{started.stdout}\n{started.stderr}"
    for user in (ALICE, BOB):  # players, as an auth plugin or the operator would add them
        subprocess.run(["mosquitto_passwd", "-b", str(folder / "passwd"), user, f"{user}-test"], check=True)
    pid = int((folder / "mosquitto.pid").read_text())
    os.kill(pid, signal.SIGHUP)  # reload the password file
    time.sleep(0.5)
    try:
        yield port, ws_port
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=30, check=False
        )


def client(
    port: int, user: str, password: str, transport: str = "tcp"
) -> tuple[paho.Client, queue.Queue[str]]:
    session = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"{user}-{uuid.uuid4().hex[:6]}",
        transport=transport,  # type: ignore[arg-type]
    )
    session.username_pw_set(user, password)
    inbox: queue.Queue[str] = queue.Queue()
    connected: queue.Queue[object] = queue.Queue()
    session.on_connect = lambda c, u, flags, rc, props: connected.put(rc)
    session.on_message = lambda c, u, m: inbox.put(f"{m.topic} {m.payload.decode()}")
    session.connect("127.0.0.1", port, keepalive=30)
    session.loop_start()
    reason = connected.get(timeout=TIMEOUT)
    assert not getattr(reason, "is_failure", False), f"{user} could not connect: {reason}"
    return session, inbox


def test_a_player_reads_only_its_own_notifications_over_websockets(broker: tuple[int, int]) -> None:
    port, ws_port = broker
    engine, _ = client(port, "engine", "engine-test")
    bob, inbox = client(ws_port, BOB, f"{BOB}-test", transport="websockets")
    bob.subscribe(f"f1/notifications/{ALICE}", qos=1)
    bob.subscribe(f"f1/notifications/{BOB}", qos=1)
    bob.subscribe("f1/scoring/#", qos=1)
    time.sleep(0.5)
    for topic, payload in (
        (f"f1/notifications/{ALICE}", "for alice"),
        ("f1/scoring/1/points", "scores"),
        (f"f1/notifications/{BOB}", "for bob"),
    ):
        engine.publish(topic, payload, qos=1).wait_for_publish(TIMEOUT)
    received = []
    while f"f1/notifications/{BOB} for bob" not in received:
        received.append(inbox.get(timeout=TIMEOUT))
    time.sleep(0.3)
    while not inbox.empty():
        received.append(inbox.get_nowait())
    assert f"f1/notifications/{BOB} for bob" in received
    assert "f1/scoring/1/points scores" not in received  # players read their notifications only
    assert all("for alice" not in message for message in received)
    for session in (engine, bob):
        session.disconnect()
        session.loop_stop()
