"""`gridscore publish` then `gridscore record` through the real broker: the recorded feed carries every
message with its topic and payload byte for byte, and replaying it gives the same results."""

from __future__ import annotations

import subprocess
import time
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


def test_record_then_replay_gives_the_same_results(
    mqtt_url: str, prefixes: Prefixes, tmp_path: Path, database_url: str, redis_url: str
) -> None:
    env = engine_env(prefixes, database_url, redis_url, tmp_path / "data")
    out = tmp_path / "recorded.jsonl"
    log = tmp_path / "record.log"
    with log.open("wb") as sink:
        recorder = subprocess.Popen(
            [str(GRIDSCORE), "record", "--out", str(out), "--until-idle", "2", "--prefix", prefixes.input],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "subscribed to" not in log.read_text():
            assert recorder.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        gridscore("publish", str(LAP_BY_LAP), "--max-rate", PUBLISH_RATE, "--prefix", prefixes.input, env=env)
        assert recorder.wait(60) == 0, log.read_text()
    finally:
        if recorder.poll() is None:
            recorder.kill()
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
    out = tmp_path / "recorded.jsonl"
    log = tmp_path / "record.log"
    with log.open("wb") as sink:
        recorder = subprocess.Popen(
            [str(GRIDSCORE), "record", "--out", str(out), "--duration", "300", "--prefix", prefixes.input],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            preexec_fn=_limit_file_size,
        )
    try:
        deadline = time.monotonic() + 30
        while "subscribed to" not in log.read_text():
            assert recorder.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        gridscore("publish", str(LAP_BY_LAP), "--max-rate", PUBLISH_RATE, "--prefix", prefixes.input, env=env)
        assert recorder.wait(60) == 1, log.read_text()
    finally:
        if recorder.poll() is None:
            recorder.kill()
    assert "gridscore record: the MQTT receiver stopped" in log.read_text()
