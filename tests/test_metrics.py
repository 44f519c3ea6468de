"""The engine's Prometheus metrics, read over HTTP from a running `gridscore replay --metrics-port P`.

The replay is paced (the race of Silverstone 2023 at 1000 times real time, about 5 s) so that /metrics
can be scraped twice while it runs; a few lines with an invalid payload are mixed in, at their place
in time, so that rejections keep coming too.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from dataflows.metrics import MetricsPortError, listen_for_metrics
from ingest.health import Verdict
from tests.api.server import free_port
from tests.conftest import FEEDS

GRIDSCORE = str(Path(sys.executable).parent / "gridscore")
RACE_SESSION = 2023104  # Silverstone 2023, the race (Qualifying is 2023103)
TEAMS = 300
BAD_EVERY = 40  # one invalid v1/laps payload after every 40 lines of the race

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

MOVING = (
    "gridscore_messages_in_total",
    "gridscore_messages_rejected_total",
    "gridscore_window_lag_seconds_count",
    "gridscore_refresh_seconds_count",
    "gridscore_teams_scored_total",
)


def scrape(url: str) -> Samples:
    """Every sample of a Prometheus text exposition, keyed by (name, sorted labels)."""
    response = httpx.get(url, timeout=5)
    response.raise_for_status()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of a series over the labels not given."""
    wanted = set(labels.items())
    return sum(v for (n, lbl), v in samples.items() if n == name and wanted <= set(lbl))


def scrape_until(
    url: str, ready: Callable[[Samples], bool], process: subprocess.Popen[bytes], log: Path
) -> Samples:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, (
            f"the replay ended before its metrics moved:\n{log.read_text()[-3000:]}"
        )
        try:
            samples = scrape(url)
        except httpx.TransportError:
            samples = {}
        if ready(samples):
            return samples
        time.sleep(0.1)
    raise AssertionError(f"the metrics did not move within 90 s:\n{log.read_text()[-3000:]}")


def race_with_invalid_lines(out: Path) -> int:
    """Britain's race with an invalid payload after every BAD_EVERY lines; returns how many were added."""
    added = 0
    with (FEEDS / "2023-10-britain.jsonl").open() as feed, out.open("w") as sink:
        race = [line for line in feed if json.loads(line)["payload"].get("session_key") == RACE_SESSION]
        for index, line in enumerate(race, start=1):
            sink.write(line)
            if index % BAD_EVERY == 0:
                at = json.loads(line)["at"]
                bad = {"topic": "v1/laps", "at": at, "payload": {"session_key": RACE_SESSION, "lap": "x"}}
                sink.write(json.dumps(bad) + "\n")
                added += 1
    return added


def test_engine_metrics_move_during_a_replay(
    db: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    feed = tmp_path / "race.jsonl"
    assert race_with_invalid_lines(feed) > 20
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    env = {k: v for k, v in os.environ.items() if k != "METRICS_PORT"}
    env.update(DATABASE_URL=db, REDIS_URL=redis_url, LOG_FORMAT="text", COLUMNS="200")
    args = [
        "replay",
        str(feed),
        "--teams",
        str(TEAMS),
        "--speed",
        "1000",
        "--quiet",
        "--metrics-port",
        str(port),
    ]
    log = tmp_path / "replay.log"
    with log.open("wb") as out:
        process = subprocess.Popen([GRIDSCORE, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        first = scrape_until(url, lambda s: all(total(s, name) > 0 for name in MOVING), process, log)
        time.sleep(1.5)
        second = scrape(url)  # the replay still runs: its process serves this
    except BaseException:
        process.kill()
        process.wait(10)
        raise
    assert process.wait(90) == 0, log.read_text()[-3000:]

    for name in MOVING:
        assert total(second, name) > total(first, name), f"{name} did not move between two scrapes"
    assert total(second, "gridscore_messages_in_total", topic="v1/laps") > total(
        first, "gridscore_messages_in_total", topic="v1/laps"
    )
    assert total(second, "gridscore_messages_in_total", topic="other") == 0
    assert total(second, "gridscore_messages_rejected_total") == total(
        second, "gridscore_messages_rejected_total", reason="invalid"
    )
    assert total(second, "gridscore_teams_loaded") == TEAMS
    assert total(second, "gridscore_teams_scored_total") % TEAMS == 0
    # Totals are readable before a window's write is over (league standings come after them).
    assert (
        0
        < total(second, "gridscore_refresh_seconds_sum")
        <= total(second, "gridscore_window_lag_seconds_sum")
    )
    assert total(second, "gridscore_window_lag_seconds_count") == total(
        second, "gridscore_refresh_seconds_count"
    )


def test_two_engines_side_by_side_each_get_a_port_and_a_clash_is_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two engines on one machine: with METRICS_PORT=0 each listens on a free port of its own, logged,
    and both answer; asking for a port another holds is an error naming the port (the CLI names the
    setting: below), not an engine that scores on with no /health for its healthcheck."""
    caplog.set_level(logging.INFO, logger="dataflows.metrics")
    first, second = listen_for_metrics(0), listen_for_metrics(0)
    assert first is not None
    assert second is not None
    try:
        first.serve(lambda: Verdict(True, [], {}))
        second.serve()
        assert first.port != second.port
        for endpoint in (first, second):
            assert "gridscore_state_sessions" in {
                n for n, _ in scrape(f"http://127.0.0.1:{endpoint.port}/metrics")
            }
            assert f"metrics on http://0.0.0.0:{endpoint.port}/metrics" in caplog.text
        assert httpx.get(f"http://127.0.0.1:{first.port}/health", timeout=5).json()["status"] == "ok"
        assert "port 0: a free one" in caplog.text
        with pytest.raises(MetricsPortError, match=f"port {first.port} cannot be listened on"):
            listen_for_metrics(first.port)
        assert listen_for_metrics(-1) is None  # off
    finally:
        for endpoint in (first, second):
            endpoint.server.shutdown()
            endpoint.server.server_close()


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process would hold: bound and listening for the test's length."""
    holder = socket.socket()
    holder.bind(("0.0.0.0", 0))  # noqa: S104 - as the engine binds
    holder.listen()
    yield int(holder.getsockname()[1])
    holder.close()


def test_an_engine_whose_metrics_port_is_taken_stops_naming_the_setting(
    taken_port: int, db: str, redis_url: str, tmp_path: Path
) -> None:
    """`gridscore live` on a port another engine holds exits 2 before it starts anything, naming
    METRICS_PORT and what to do (it used to log an error and run on with no /metrics and no /health);
    `gridscore replay --metrics-port` the same, naming its flag."""
    env = dict(os.environ, DATABASE_URL=db, REDIS_URL=redis_url, METRICS_PORT=str(taken_port))
    env["GRIDSCORE_DATA_DIR"] = str(tmp_path / "data")
    live = subprocess.run(
        [GRIDSCORE, "live", "--journal", str(tmp_path / "journal")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard: the old engine ran on
        check=False,
    )
    assert live.returncode == 2, live.stderr[-2000:]
    assert f"METRICS_PORT={taken_port}: port {taken_port} cannot be listened on" in live.stderr
    assert "0 for a free one" in live.stderr
    assert not (tmp_path / "journal").exists(), "nothing started"

    replay = subprocess.run(
        [
            GRIDSCORE,
            "replay",
            str(FEEDS / "2023-10-britain.jsonl"),
            "--teams",
            "10",
            "--metrics-port",
            str(taken_port),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert replay.returncode == 2, replay.stdout[-2000:]
    assert f"--metrics-port {taken_port}: port {taken_port} cannot be listened on" in replay.stderr
