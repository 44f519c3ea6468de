"""No message stops ingest (issue 12, findings 1 and 9), against the real Mosquitto and `gridscore live`.

- Finding 1: JSON nested 5,000 deep (about 20 KB; msgspec raised RecursionError on it in the journal
  and killed the receiver thread), then a weekend: the journal keeps growing, the bad message is on
  f1/ingest/rejected with its reason, the weekend's totals are the official ones and final.
- Finding 9: out-of-range values for real cars of the running Race (position -5 and 2^63+5, a car
  overtaking itself, a negative lap, car 0, lap 0, ...) are each rejected as `invalid`, naming the
  field; scored, the self-overtake and the others would change the official totals.
- The receiver is supervised: SIGKILLed, /health answers 503 while it is down and the engine starts
  a new one; a receiver that cannot write its journal (a file size limit: the disk is "full") exits
  with code 1 instead of living on without a receiver thread, and what it had not written down
  comes again from the broker.
- Hypothesis sends raw payloads (deep nesting, invalid UTF-8, huge numbers, 1 MB strings, random
  bytes) on every topic of FEEDS.md through the broker, receiver and journal; each is journaled and
  rejected for the reason it was built with, and a weekend published afterwards ends exact and final.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import resource
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.broker import BrokerConfig, Publisher
from ingest.decode import MAX_JSON_DEPTH, MAX_PAYLOAD_BYTES
from ingest.events import TOPIC_TYPES
from ingest.feeds import summarise
from ingest.journal import JournalTail
from ingest.receiver import Flag, run_receiver
from ingest.recorded import iter_lines
from store import live_keys
from tests.api.server import free_port
from tests.conftest import FEEDS, empty_database
from tests.mqtt.conftest import (
    PUBLISH_RATE,
    Engine,
    Inbox,
    Prefixes,
    engine_env,
    forget_session,
    gridscore,
    journal_lines,
    retained,
)

pytestmark = pytest.mark.mqtt

FEED = FEEDS / "2025-03-japan.jsonl"
DEEP = b'{"a":' * 5000 + b"1" + b"}" * 5000  # finding 1, as filed
HOSTILE_EXAMPLES = 30


def expected_totals() -> dict[str, dict[str, int]]:
    return json.loads((FEEDS / "expected" / f"{FEED.stem}.json").read_text())


def points_topic(prefixes: Prefixes) -> str:
    return f"{prefixes.output}{summarise([FEED]).meeting_keys[0]}/points"


def final_and_exact(prefixes: Prefixes) -> Callable[[Inbox], bool]:
    topic, wanted = points_topic(prefixes), expected_totals()

    def check(inbox: Inbox) -> bool:
        message = inbox.latest(topic).get(topic)
        if message is None:
            return False
        document = message.json()
        return bool(document["final"]) and {k: document[k] for k in ("drivers", "constructors")} == wanted

    return check


def rejected_by_offset(inbox: Inbox, prefixes: Prefixes) -> dict[int, dict[str, Any]]:
    return {
        document["offset"]: document
        for document in (m.json() for m in inbox.snapshot() if m.topic == prefixes.rejected)
    }


def health(port: int) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
    return response.status_code, response.json()


def wait_until(check: Callable[[], bool], timeout: float, what: str, engine: Engine | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tail = "" if engine is None else f"\n{engine.tail()}"
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
        time.sleep(0.05)


@dataclass
class Running:
    prefixes: Prefixes
    env: dict[str, str]
    engine: Engine
    inbox: Inbox
    journal: Path
    metrics_port: int
    redis_url: str


@contextlib.contextmanager
def running_engine(
    mqtt_url: str,
    database_url: str,
    redis_url: str,
    folder: Path,
    engine_redis: str | None = None,
    clean_stop: bool = True,
    **extra: str,
) -> Iterator[Running]:
    """`gridscore live` with /health on a port of its own (`engine_redis`: a Redis for it instead)."""
    empty_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    prefixes = Prefixes.unique()
    port = free_port()
    env = engine_env(
        prefixes,
        database_url,
        engine_redis or redis_url,
        folder / "data",
        MQTT_JOURNAL=str(folder / "journal.jsonl"),
        METRICS_PORT=str(port),
        **extra,
    )
    inbox = Inbox.subscribe(mqtt_url, f"{prefixes.run}/f1/#")
    engine = Engine(env, folder / "live.log").start()
    try:
        yield Running(prefixes, env, engine, inbox, folder / "journal.jsonl", port, redis_url)
    finally:
        code = engine.stop()
        inbox.close()
        forget_session(mqtt_url, env["MQTT_CLIENT_ID"])
    assert code == 0 or not clean_stop, f"gridscore live did not stop cleanly ({code}):\n{engine.tail()}"


def publish_feed(run: Running, feed: Path) -> int:
    gridscore("publish", str(feed), "--max-rate", PUBLISH_RATE, "--prefix", run.prefixes.input, env=run.env)
    return sum(1 for _ in iter_lines(feed))


def publish_raw(mqtt_url: str, run: Running, messages: list[tuple[str, bytes]]) -> None:
    publisher = Publisher(BrokerConfig.from_url(mqtt_url, f"gridscore-{run.prefixes.run}-raw"))
    try:
        for collection, payload in messages:
            publisher.publish(run.prefixes.input + collection, payload)
        assert publisher.flush(30), "the broker did not acknowledge every raw message"
    finally:
        publisher.close()


# --- findings 1 and 9, end to end ------------------------------------------------------------------


def _race_split() -> tuple[list[bytes], list[bytes], dict[str, Any]]:
    """The feed cut after the Race's first overtake, and that overtake's payload (a real car, a real
    moment of the Race)."""
    lines = list(iter_lines(FEED))
    for index, line in enumerate(lines):
        document = json.loads(line)
        if document["topic"] == "v1/overtakes":
            return lines[: index + 1], lines[index + 1 :], document["payload"]
    raise AssertionError(f"{FEED.name} has no overtake")


def out_of_range(overtake: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(collection, payload, the field its reason must name), each wrong in one value only."""
    session, car, date = overtake["session_key"], overtake["overtaking_driver_number"], overtake["date"]
    other = overtake["overtaken_driver_number"]
    position = {"session_key": session, "driver_number": car, "date": date}
    lap = {"session_key": session, "driver_number": car, "lap_number": 3, "date_start": date}
    return [
        ("position", position | {"position": -5}, "position"),
        ("position", position | {"position": 2**63 + 5}, "position"),
        ("position", position | {"position": 31}, "position"),
        ("position", position | {"position": 1, "driver_number": 0}, "driver_number"),
        ("position", position | {"position": 1, "session_key": 2**63 + 5}, "session_key"),
        ("position", position | {"position": 1, "date": "9999-12-31T23:59:59-05:00"}, "date"),
        ("overtakes", overtake | {"overtaken_driver_number": car, "position": 1}, "overtaken_driver_number"),
        ("overtakes", overtake | {"overtaking_driver_number": 100}, "overtaking_driver_number"),
        ("overtakes", overtake | {"overtaken_driver_number": other, "position": 0}, "position"),
        ("laps", lap | {"lap_duration": -1.0}, "lap_duration"),
        ("laps", lap | {"lap_duration": 1e308}, "lap_duration"),
        ("laps", lap | {"lap_number": 0, "lap_duration": 60.0}, "lap_number"),
        ("starting_grid", {"session_key": session, "driver_number": car, "position": 0}, "position"),
        (
            "pit",
            {"session_key": session, "driver_number": car, "date": date, "stop_duration": -2.5},
            "stop_duration",
        ),
        (
            "session_result",
            {"session_key": session, "driver_number": car, "position": 1, "number_of_laps": -1},
            "number_of_laps",
        ),
        (
            "session_result",
            {"session_key": session, "driver_number": car, "position": 1, "duration": [-1.0, None, None]},
            "duration",
        ),
    ]


@dataclass
class HostileRun:
    run: Running
    published: int
    deep_offset: int
    bad_offsets: dict[int, str]  # journal offset -> the field its reason must name


@pytest.fixture(scope="module")
def hostile_run(
    mqtt_url: str, database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostileRun]:
    folder = tmp_path_factory.mktemp("hostile")
    first, rest = folder / "first.jsonl", folder / "rest.jsonl"
    before, after, overtake = _race_split()
    first.write_bytes(b"\n".join(before) + b"\n")
    rest.write_bytes(b"\n".join(after) + b"\n")
    bad = out_of_range(overtake)
    with running_engine(mqtt_url, database_url, redis_url, folder) as run:
        publish_raw(mqtt_url, run, [("session_result", DEEP)])
        published = 1 + publish_feed(run, first)
        publish_raw(mqtt_url, run, [(c, json.dumps(p).encode()) for c, p, _ in bad])
        offsets = {published + i: field for i, (_, _, field) in enumerate(bad)}
        published += len(bad) + publish_feed(run, rest)
        try:
            run.inbox.wait_for(final_and_exact(run.prefixes), 60, "the weekend's final, exact points")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{run.engine.tail()}") from None
        yield HostileRun(run, published, 0, offsets)


def test_a_deeply_nested_message_is_rejected_and_ingest_goes_on(
    hostile_run: HostileRun, mqtt_url: str
) -> None:
    run = hostile_run.run
    wait_until(lambda: journal_lines(run.journal) == hostile_run.published, 10, "every message journaled")
    tail = JournalTail(run.journal, 0)
    journaled = tail.read(1_000_000)
    tail.close()
    assert journaled[0].payload == DEEP  # kept whole: not JSON the journal may hold verbatim
    assert b'"payload":null,"raw_b64"' in run.journal.read_bytes().split(b"\n", 1)[0]
    wait_until(
        lambda: hostile_run.deep_offset in rejected_by_offset(run.inbox, run.prefixes), 10, "its rejection"
    )
    rejection = rejected_by_offset(run.inbox, run.prefixes)[hostile_run.deep_offset]
    assert rejection["topic"] == run.prefixes.input + "session_result"
    assert rejection["reason"] == f"malformed: JSON nested deeper than {MAX_JSON_DEPTH} levels"
    assert rejection["raw"] == DEEP.decode()[:2048]
    counts = redis.Redis.from_url(run.redis_url).hgetall(live_keys.rejected_count())
    assert int(counts[b"malformed"]) >= 1
    document = retained(mqtt_url, points_topic(run.prefixes), settle=0.5)[points_topic(run.prefixes)].json()
    assert document["final"] is True
    assert {k: document[k] for k in ("drivers", "constructors")} == expected_totals()
    code, body = health(run.metrics_port)
    assert (code, body["status"], body["offset"]) == (200, "ok", hostile_run.published), body


def test_out_of_range_values_are_rejected_as_invalid_naming_the_field(hostile_run: HostileRun) -> None:
    run = hostile_run.run
    wanted = hostile_run.bad_offsets

    def arrived() -> bool:
        return set(wanted) <= set(rejected_by_offset(run.inbox, run.prefixes))

    wait_until(arrived, 10, "a rejection for every out-of-range value")
    rejected = rejected_by_offset(run.inbox, run.prefixes)
    for offset, field in wanted.items():
        reason = rejected[offset]["reason"]
        assert reason.startswith("invalid: "), reason
        assert field in reason, f"{reason!r} does not name {field}"
    counts = redis.Redis.from_url(run.redis_url).hgetall(live_keys.rejected_count())
    assert int(counts[b"invalid"]) == len(wanted)


# --- supervision and health --------------------------------------------------------------------------

RECEIVER_PID = re.compile(r"MQTT receiver started \(pid (\d+)\)")


def test_a_killed_receiver_makes_health_503_and_is_started_again(
    mqtt_url: str, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    with running_engine(mqtt_url, database_url, redis_url, tmp_path) as run:
        wait_until(lambda: health(run.metrics_port)[0] == 200, 10, "a healthy engine", run.engine)
        [first] = RECEIVER_PID.findall(run.engine.log_text())
        os.kill(int(first), signal.SIGKILL)
        code, body = health(run.metrics_port)  # the engine waits a second before a restart
        assert code == 503, body
        assert body["status"] == "unhealthy"
        assert any("receiver down" in reason for reason in body["reasons"]), body
        wait_until(lambda: len(RECEIVER_PID.findall(run.engine.log_text())) == 2, 15, "a new receiver")
        second = RECEIVER_PID.findall(run.engine.log_text())[1]
        assert second != first
        assert "exited with code -9" in run.engine.log_text()
        wait_until(lambda: health(run.metrics_port)[0] == 200, 15, "health back to 200", run.engine)
        assert health(run.metrics_port)[1]["receiver"]["restarts"] == 1
        published = publish_feed(run, FEED)  # the new receiver journals and the flow scores
        run.inbox.wait_for(final_and_exact(run.prefixes), 60, "the weekend's final, exact points")
        assert journal_lines(run.journal) == published
        assert run.engine.process is not None
        assert run.engine.process.poll() is None


def test_health_says_503_when_messages_wait_and_the_flow_takes_none(
    mqtt_url: str, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """A flow stuck in a sink (here: its Redis never answers, and writes wait for it) while the
    receiver journals on: after GRIDSCORE_INGEST_STALL_S, /health says the ingest is stalled."""
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    with running_engine(
        mqtt_url, database_url, redis_url, tmp_path, nobody, False, GRIDSCORE_INGEST_STALL_S="2"
    ) as run:
        wait_until(lambda: health(run.metrics_port)[0] == 200, 10, "a healthy engine", run.engine)
        publish_feed(run, FEED)
        run.engine.wait_for_log("unavailable", 30)  # the flow now waits for Redis
        start = journal_lines(run.journal)
        publish_raw(mqtt_url, run, [("laps", b'{"session_key": 1}')] * 5)
        wait_until(lambda: journal_lines(run.journal) == start + 5, 10, "the receiver journaling on")
        wait_until(lambda: health(run.metrics_port)[0] == 503, 15, "503", run.engine)
        body = health(run.metrics_port)[1]
        assert any("ingest stalled" in reason for reason in body["reasons"]), body
        assert any(reason.startswith("Redis unavailable for") for reason in body["reasons"]), body
        assert body["outages"]["Redis"] > 0
        assert body["waiting_bytes"] > 0
        assert body["receiver"]["running"] is True
        run.engine.kill_tree()  # it would wait for Redis forever


def _receive_with_file_limit(
    limit: int, broker: BrokerConfig, topic_filter: str, journal: str, subscribed: Flag
) -> None:
    """run_receiver, where no file may grow past `limit` bytes: a full disk for the journal."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    run_receiver(broker, topic_filter, journal, os.getppid(), "INFO", "text", subscribed)


def test_a_receiver_that_cannot_journal_exits_with_code_1_and_loses_nothing(
    mqtt_url: str, prefixes: Prefixes, tmp_path: Path
) -> None:
    broker = BrokerConfig.from_url(mqtt_url, f"gridscore-{prefixes.run}-receiver")
    journal = tmp_path / "journal.jsonl"
    context = multiprocessing.get_context("spawn")
    subscribed = context.Event()
    limited = context.Process(
        target=_receive_with_file_limit,
        args=(16_384, broker, f"{prefixes.input}#", str(journal), subscribed),
    )
    again = context.Process(
        target=run_receiver, args=(broker, f"{prefixes.input}#", str(journal), os.getpid(), "INFO", "text")
    )
    limited.start()
    payloads = [json.dumps({"session_key": 9, "n": n, "pad": "x" * 100}).encode() for n in range(300)]
    try:
        assert subscribed.wait(60), "the receiver did not subscribe"
        publisher = Publisher(BrokerConfig.from_url(mqtt_url, f"gridscore-{prefixes.run}-pub"))
        for payload in payloads:
            publisher.publish(prefixes.input + "position", payload)
        assert publisher.flush(30)
        publisher.close()
        limited.join(30)
        assert limited.exitcode == 1, f"exit code {limited.exitcode}: the receiver lived on, or hung"
        assert journal.stat().st_size <= 16_384
        again.start()

        def journaled() -> set[bytes]:
            tail = JournalTail(journal, 0)
            try:
                return {m.payload for m in tail.read(10_000)}
            finally:
                tail.close()

        wait_until(lambda: journaled() >= set(payloads), 30, "every message, from the broker again")
        again.terminate()
        again.join(10)
        assert again.exitcode == 0
    finally:
        for process in (limited, again):
            if process.is_alive():
                process.kill()
        forget_session(mqtt_url, broker.client_id)


# --- hypothesis: raw payloads on every topic ----------------------------------------------------------

COLLECTIONS = sorted(TOPIC_TYPES)  # every topic of FEEDS.md
BAD_UTF8 = [b"\xff", b"\x80", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"]
HUGE = [2**31, 2**63 + 5, 2**64, 10**30, -(2**63) - 1, 10**400]


@st.composite
def hostile_messages(draw: st.DrawFn) -> tuple[str, bytes, frozenset[str]]:
    """(collection, payload, the rejection categories it may get), built to be wrong in one way."""
    collection = draw(st.sampled_from([*COLLECTIONS, "weather"]))
    kind = draw(st.sampled_from(["deep", "utf8", "huge", "long", "bytes"]))
    if kind == "deep":
        depth = draw(st.integers(MAX_JSON_DEPTH + 1, 20_000))
        opener, closer = draw(st.sampled_from([(b'{"a":', b"}"), (b"[", b"]"), (b'{"x":[', b"]}")]))
        payload, categories = opener * depth + b"0" + closer * depth, {"malformed"}
    elif kind == "utf8":
        bad = draw(st.sampled_from(BAD_UTF8))
        payload, categories = b'{"session_key": 9, "name": "F' + bad + b'"}', {"malformed"}
    elif kind == "huge":
        number = draw(st.sampled_from(HUGE) | st.integers(min_value=2**31, max_value=2**200))
        payload, categories = (
            b'{"session_key": ' + str(number).encode() + b', "driver_number": 1}',
            {"invalid"},
        )
    elif kind == "long":
        size = draw(st.integers(MAX_PAYLOAD_BYTES, 1_100_000))
        payload = b'{"session_key": 9, "message": "' + b"x" * size + b'"}'
        return collection, payload, frozenset({"oversized"})
    else:
        payload, categories = draw(st.binary(max_size=300)), {"malformed", "invalid"}
    if collection == "weather":
        categories = {"unknown_topic"}
    if len(payload) > MAX_PAYLOAD_BYTES:  # size is checked first (a deep one may be big too)
        categories = {"oversized"}
    return collection, payload, frozenset(categories)


def test_hostile_payloads_on_every_topic_then_a_weekend_ends_exact_and_final(
    mqtt_url: str, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    with running_engine(mqtt_url, database_url, redis_url, tmp_path) as run:
        sent: list[tuple[str, bytes]] = []

        @settings(
            max_examples=HOSTILE_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.lists(hostile_messages(), min_size=1, max_size=4))
        def send(batch: list[tuple[str, bytes, frozenset[str]]]) -> None:
            start = journal_lines(run.journal)
            publish_raw(mqtt_url, run, [(c, p) for c, p, _ in batch])
            sent.extend((c, p) for c, p, _ in batch)
            wait_until(lambda: journal_lines(run.journal) >= start + len(batch), 30, "journaled", run.engine)
            offsets = range(start, start + len(batch))
            wait_until(
                lambda: set(offsets) <= set(rejected_by_offset(run.inbox, run.prefixes)),
                30,
                "rejected",
                run.engine,
            )
            rejected = rejected_by_offset(run.inbox, run.prefixes)
            for offset, (collection, _, categories) in zip(offsets, batch, strict=True):
                document = rejected[offset]
                assert document["topic"] == run.prefixes.input + collection
                assert document["reason"].split(":", 1)[0] in categories, (document["reason"], categories)

        send()
        assert len(sent) >= HOSTILE_EXAMPLES  # every example went through
        tail = JournalTail(run.journal, 0)
        journaled = tail.read(1_000_000)
        tail.close()
        assert len(journaled) == len(sent)
        for message, (collection, payload) in zip(journaled, sent, strict=True):
            assert message.topic == run.prefixes.input + collection
            if len(payload) > MAX_PAYLOAD_BYTES:  # its size and first KiB, as the rejection keeps
                assert (len(message.payload), message.payload[:1024]) == (len(payload), payload[:1024])
            else:
                assert message.payload == payload
        published = len(sent) + publish_feed(run, FEED)
        run.inbox.wait_for(final_and_exact(run.prefixes), 60, "the weekend's final, exact points")
        document = retained(mqtt_url, points_topic(run.prefixes), settle=0.5)[points_topic(run.prefixes)]
        assert document.json()["final"] is True
        assert journal_lines(run.journal) == published
        code, body = health(run.metrics_port)
        assert code == 200, body
