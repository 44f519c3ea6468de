"""`gridscore publish` then `gridscore record` through the real broker: the recorded feed carries every
message with its topic and payload byte for byte, and replaying it gives the same results."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from dataflows.runner import score_feeds
from ingest.decode import Envelope
from ingest.recorded import iter_lines
from tests.conftest import FEEDS
from tests.mqtt.conftest import GRIDSCORE, PUBLISH_RATE, Prefixes, engine_env, gridscore

pytestmark = pytest.mark.mqtt

LAP_BY_LAP = FEEDS / "2023-01-bahrain.jsonl"


def _messages(path: Path) -> list[tuple[str, bytes]]:
    out = []
    for line in iter_lines(path):
        envelope = msgspec.json.decode(line, type=Envelope)
        out.append((envelope.topic, bytes(envelope.payload)))
    return out


def record_while_publishing(
    args: list[str], env: dict[str, str], log: Path, preexec: Callable[[], None] | None = None
) -> int:
    """Start `gridscore record ARGS`, publish the lap-by-lap race once it has subscribed, and return
    the recorder's exit code."""
    with log.open("wb") as sink:
        recorder = subprocess.Popen(
            [str(GRIDSCORE), "record", *args],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec,
        )
    try:
        deadline = time.monotonic() + 30
        while "subscribed to" not in log.read_text():
            assert recorder.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        prefix = env["MQTT_INPUT_PREFIX"]
        gridscore("publish", str(LAP_BY_LAP), "--max-rate", PUBLISH_RATE, "--prefix", prefix, env=env)
        return recorder.wait(60)
    finally:
        if recorder.poll() is None:
            recorder.kill()


def test_record_then_replay_gives_the_same_results(
    mqtt_url: str, prefixes: Prefixes, tmp_path: Path, database_url: str, redis_url: str
) -> None:
    env = engine_env(prefixes, database_url, redis_url, tmp_path / "data")
    out, log = tmp_path / "recorded.jsonl", tmp_path / "record.log"
    args = ["--out", str(out), "--until-idle", "2", "--prefix", prefixes.input]
    assert record_while_publishing(args, env, log) == 0, log.read_text()
    assert _messages(out) == _messages(LAP_BY_LAP)
    assert score_feeds([out]).as_json() == score_feeds([LAP_BY_LAP]).as_json()


def test_publish_without_a_broker_says_so(prefixes: Prefixes, tmp_path: Path) -> None:
    env = engine_env(prefixes, "postgresql://unused", "redis://unused", tmp_path / "data")
    done = subprocess.run(
        [str(GRIDSCORE), "publish", str(LAP_BY_LAP), "--broker", "mqtt://127.0.0.1:9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "no MQTT broker answers at mqtt://127.0.0.1:9" in done.stderr


def _limit_file_size() -> None:
    """A full disk for the recording: no file of this process may grow past 4 KiB."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_record_exits_with_an_error_when_it_cannot_write(
    mqtt_url: str, prefixes: Prefixes, tmp_path: Path, database_url: str, redis_url: str
) -> None:
    """Its receiver's thread dies on the write: `gridscore record` says so and exits 1, where it used
    to wait for its whole duration with nothing recorded."""
    env = engine_env(prefixes, database_url, redis_url, tmp_path / "data")
    out, log = tmp_path / "recorded.jsonl", tmp_path / "record.log"
    args = ["--out", str(out), "--duration", "300", "--prefix", prefixes.input]
    assert record_while_publishing(args, env, log, preexec=_limit_file_size) == 1, log.read_text()
    assert "gridscore record: the MQTT receiver stopped" in log.read_text()
