"""Real pieces for the MQTT tests: the machine's Mosquitto (MQTT_URL), `gridscore live`/`record` as
subprocesses, and a subscriber that keeps every message it sees.

Every run uses its own topic prefixes (`test-<id>/v1/`, `test-<id>/f1/scoring/`) and client ids, so
that concurrent runs on one broker never see each other's messages. Without a broker the tests
skip, saying so, unless GRIDSCORE_REQUIRE_SERVICES=1 (then they fail).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ingest.broker import BrokerConfig

GRIDSCORE = Path(sys.executable).parent / "gridscore"
MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")
# Mosquitto drops QoS 1 messages for a subscriber more than `max_queued_messages` (1000 by default)
# behind; at speed 0 one publisher outruns one journaling subscriber on a busy 2-core machine.
PUBLISH_RATE = "1000"


def broker_answers(url: str, timeout: float = 3.0) -> str | None:
    """None if a broker accepts a connection at `url`, else why not."""
    config = BrokerConfig.from_url(url, f"gridscore-probe-{uuid.uuid4().hex[:8]}")
    client = config.paho_client()
    connected = threading.Event()
    client.on_connect = lambda *args: connected.set()
    try:
        client.connect(config.host, config.port, keepalive=10)
    except OSError as exc:
        return str(exc)
    client.loop_start()
    try:
        return None if connected.wait(timeout) else "no CONNACK"
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.fixture(scope="session")
def mqtt_url() -> str:
    reason = broker_answers(MQTT_URL)
    if reason is not None:
        message = f"no MQTT broker answers at {MQTT_URL} ({reason})"
        if os.environ.get("GRIDSCORE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{message}, and GRIDSCORE_REQUIRE_SERVICES=1")
        pytest.skip(f"{message}: MQTT tests skipped")
    return MQTT_URL


@dataclass
class Received:
    topic: str
    payload: bytes
    retained: bool
    at: float

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Inbox:
    """A subscriber that keeps every message, for assertions that wait for what they expect."""

    client: paho.Client
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def subscribe(cls, url: str, *filters: str, timeout: float = 5.0) -> Inbox:
        config = BrokerConfig.from_url(url, f"gridscore-test-inbox-{uuid.uuid4().hex[:8]}")
        return cls.subscribe_with(config, *filters, timeout=timeout)

    @classmethod
    def subscribe_with(cls, config: BrokerConfig, *filters: str, timeout: float = 5.0) -> Inbox:
        client = config.paho_client()
        inbox = cls(client)
        subscribed = threading.Event()

        def on_connect(c: paho.Client, *args: object) -> None:
            c.subscribe([(f, 1) for f in filters])

        def on_message(c: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
            with inbox.lock:
                inbox.messages.append(
                    Received(message.topic, bytes(message.payload), bool(message.retain), time.monotonic())
                )

        client.on_connect = on_connect
        client.on_subscribe = lambda *args: subscribed.set()
        client.on_message = on_message
        client.connect(config.host, config.port, keepalive=30)
        client.loop_start()
        if not subscribed.wait(timeout):
            raise TimeoutError(f"no SUBACK from {config.address}")
        return inbox

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.messages)

    def latest(self, prefix: str = "") -> dict[str, Received]:
        """The last message of each topic under `prefix`."""
        out: dict[str, Received] = {}
        for message in self.snapshot():
            if message.topic.startswith(prefix):
                out[message.topic] = message
        return out

    def wait_for(self, check: Callable[[Inbox], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not check(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def retained(url: str, topic_filter: str, settle: float = 1.0) -> dict[str, Received]:
    """What a new subscriber gets at once: the retained message of each matching topic. A live message
    published meanwhile comes after it without the retain flag, and does not hide it."""
    inbox = Inbox.subscribe(url, topic_filter)
    try:
        time.sleep(settle)
        return {m.topic: m for m in inbox.snapshot() if m.retained}
    finally:
        inbox.close()


def forget_session(url: str, client_id: str) -> None:
    """Drop a persistent session from the broker (connect once with a clean session)."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    config = BrokerConfig.from_url(url, client_id)
    with contextlib.suppress(OSError):
        client.connect(config.host, config.port)
        client.loop_start()
        time.sleep(0.2)
        client.disconnect()
        client.loop_stop()


@dataclass(frozen=True)
class Prefixes:
    run: str
    input: str
    output: str
    rejected: str

    @classmethod
    def unique(cls) -> Prefixes:
        run = f"test-{uuid.uuid4().hex[:12]}"
        return cls(run, f"{run}/v1/", f"{run}/f1/scoring/", f"{run}/f1/ingest/rejected")


class Engine:
    """`gridscore live` in a subprocess; its log goes to a file, shown when a test fails.

    The test database is migrated by its fixture, hence `--no-migrate` by default."""

    def __init__(self, env: dict[str, str], log: Path, args: tuple[str, ...] = ("--no-migrate",)) -> None:
        self.env = env
        self.log = log
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Engine:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(GRIDSCORE), "live", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own, for kill_tree
            )
        self.wait_for_log("subscribed to", timeout, offset)
        return self

    def wait_for_log(self, text: str, timeout: float, offset: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace")[offset:]:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"gridscore live exited ({self.process.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"gridscore live: no {text!r} after {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def kill_tree(self) -> list[int]:
        """SIGKILL the engine's whole process group (the flow, its MQTT receiver, multiprocessing's
        helpers) in one call, as `docker kill` would: no process outlives another to react (restart
        the receiver, run a handler); the receiver may die mid-write, or between its journal write
        and its PUBACK. Returns the pids that were in the group, the engine's first."""
        assert self.process is not None
        pids = [self.process.pid, *descendants(self.process.pid)]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        return pids

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def descendants(pid: int) -> list[int]:
    """Every process under `pid` (Linux /proc), children before grandchildren."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found.extend(int(child) for child in children.read_text().split())
    return found + [grandchild for child in found for grandchild in descendants(child)]


def journal_lines(path: Path) -> int:
    """Complete lines in a journal (a torn last line, from a kill mid-write, does not count)."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


def engine_env(
    prefixes: Prefixes, database_url: str, redis_url: str, data_dir: Path, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MQTT_", "GRIDSCORE_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MQTT_URL=MQTT_URL,
        MQTT_CLIENT_ID=f"gridscore-{prefixes.run}",
        MQTT_INPUT_PREFIX=prefixes.input,
        MQTT_OUTPUT_PREFIX=prefixes.output,
        MQTT_REJECTED_TOPIC=prefixes.rejected,
        GRIDSCORE_DATA_DIR=str(data_dir),
        METRICS_PORT="0",  # several engines run at once here: a free port each; tests/test_metrics.py
        LOG_FORMAT="text",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def gridscore(*args: str, env: dict[str, str], timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(GRIDSCORE), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"gridscore {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def prefixes() -> Prefixes:
    return Prefixes.unique()


@pytest.fixture
def inbox_factory(mqtt_url: str) -> Iterator[Callable[..., Inbox]]:
    opened: list[Inbox] = []

    def open_inbox(*filters: str) -> Inbox:
        inbox = Inbox.subscribe(mqtt_url, *filters)
        opened.append(inbox)
        return inbox

    yield open_inbox
    for inbox in opened:
        inbox.close()
