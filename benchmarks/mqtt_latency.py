"""Live latency through MQTT: publish -> points visible in Redis, and publish -> f1/scoring message.

    python -m benchmarks.mqtt_latency [--feed F] [--speed 60] [--duration 60] [--teams 10000]

Starts `gridscore live` (its own topic prefixes and client id) against MQTT_URL, DATABASE_URL and
REDIS_URL (embedded servers when unset), stores TEAMS teams for the weekend, then publishes the
feed at SPEED times real time for DURATION seconds, with every payload date moved to the moment it
is published (so that event time is wall time, as on a live broker). Meanwhile it watches the
meeting's Redis update channel (reading the points after each note) and the retained points topic.

A published message that changes the weekend's points is "visible" at the first observed points
document equal to the points after that message or a later one, in event-time order (the order the
windows apply them in; computed offline with the same scoring code). Latency is that moment minus
the moment it was published: p50, p99 and max, in ms, printed as one JSON object. Expect about
lateness + window/2: windows close by wall time once the lateness bound has passed
(GRIDSCORE_LATENESS_MS, 2000 by default; try --lateness-ms).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import redis

from dataflows.session_state import SessionState
from dataflows.weekend_state import SessionUpdate, WeekendState
from gridscore.feeds import summarise
from gridscore.replay import prepare_teams
from gridscore.services import running_services
from gridscore.settings import Settings
from ingest.broker import BrokerConfig, Publisher
from ingest.decode import Envelope, Message, decode_payload
from ingest.publish import Pacer
from ingest.recorded import iter_lines
from scoring.points import score_session
from scoring.rules import load_ruleset
from store import live_keys
from store.live_read import LiveReader

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FEED = ROOT / "data" / "feeds" / "2023-01-bahrain.jsonl"  # lap by lap
DATE_FIELDS = ("date", "date_start", "date_end")


@dataclass(frozen=True, slots=True)
class Planned:
    topic: str  # under v1/
    payload: bytes  # dates moved to wall time
    offset_s: float  # when to publish, from the start


def plan(feed: Path, speed: float, duration: float, start: datetime, max_gap: float = 5.0) -> list[Planned]:
    """The feed's messages due within `duration`, each date set to when the message goes out."""
    pacer = Pacer(speed, max_gap)
    out: list[Planned] = []
    for line in iter_lines(feed):
        envelope = msgspec.json.decode(line, type=Envelope)
        at = envelope.at if envelope.at.tzinfo else envelope.at.replace(tzinfo=UTC)
        offset = pacer.offset(at)
        if offset > duration:
            break
        document = json.loads(bytes(envelope.payload))
        for name in DATE_FIELDS:
            if isinstance(document.get(name), str):
                original = datetime.fromisoformat(document[name].replace("Z", "+00:00"))
                original = original if original.tzinfo else original.replace(tzinfo=UTC)
                moved = start + timedelta(seconds=offset + (original - at).total_seconds() / speed)
                document[name] = moved.isoformat()
        out.append(Planned(envelope.topic, json.dumps(document).encode(), offset))
    return out


def event_order(planned: list[Planned], start: datetime) -> list[int]:
    """Message indexes by event time (then publication): the order the live windows apply them in."""
    times: list[tuple[datetime, int]] = []
    for index, item in enumerate(planned):
        at = start + timedelta(seconds=item.offset_s)
        message = decode_payload(item.topic, item.payload, at, index)
        times.append((message.event_time if isinstance(message, Message) else at, index))
    return [index for _, index in sorted(times)]


def points_after_each(planned: list[Planned], order: list[int], start: datetime, ruleset: str) -> list[str]:
    """The weekend's points (canonical JSON) after each message taken in `order`, scored from scratch."""
    rules = load_ruleset(ruleset)
    sessions: dict[int, SessionState] = {}
    weekend: WeekendState | None = None
    current = ""
    docs: list[str] = []
    for index in order:
        item = planned[index]
        message = decode_payload(item.topic, item.payload, start + timedelta(seconds=item.offset_s), index)
        if isinstance(message, Message):
            key = message.event.session_key
            state = sessions.setdefault(key, SessionState(key))
            state.apply([message])
            if state.described:
                points = score_session(state.facts, rules)
                weekend = weekend or WeekendState(points.meeting_key or 0)
                facts = state.facts
                update = weekend.update(
                    SessionUpdate(points, facts.name or "", facts.date_start, facts.date_end, None, False)
                )
                current = _canonical(update.drivers, update.constructors)
        docs.append(current)
    return docs


def _canonical(drivers: dict[str, int], constructors: dict[str, int]) -> str:
    return json.dumps({"drivers": drivers, "constructors": constructors}, sort_keys=True)


@dataclass
class Observations:
    seen: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, document: dict[str, Any]) -> None:
        stamp = time.monotonic()
        with self.lock:
            self.seen.append((stamp, _canonical(document["drivers"], document["constructors"])))


def watch_redis(url: str, meeting: int, into: Observations, stop: threading.Event) -> None:
    client = redis.Redis.from_url(url)
    reader = LiveReader(client)
    pubsub = client.pubsub()
    pubsub.subscribe(live_keys.updates_channel(meeting))
    while not stop.is_set():
        note = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if note is not None:
            document = reader.points(meeting)
            if document is not None:
                into.add(document)
    pubsub.close()
    client.close()


def watch_mqtt(broker: BrokerConfig, topic: str, into: Observations) -> Any:
    client = broker.paho_client()
    subscribed = threading.Event()
    client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *a: subscribed.set()
    client.on_message = lambda c, u, m: None if m.retain else into.add(json.loads(m.payload))
    client.connect(broker.host, broker.port)
    client.loop_start()
    subscribed.wait(10)
    return client


def latencies(published: list[float], docs: list[str], seen: list[tuple[float, str]]) -> list[float]:
    """For each message (in event order) that changed the points: the first observation of the points
    after it (or after a later one), minus when it was published."""
    changes = [i for i in range(len(docs)) if docs[i] and (i == 0 or docs[i] != docs[i - 1])]
    where: dict[str, list[int]] = {}
    for index, doc in enumerate(docs):
        where.setdefault(doc, []).append(index)
    out: list[float] = []
    pending = 0
    for stamp, doc in sorted(seen):
        matches = [j for j in where.get(doc, []) if published[j] <= stamp]
        if not matches:
            continue
        newest = max(matches)
        while pending < len(changes) and changes[pending] <= newest:
            out.append(stamp - published[changes[pending]])
            pending += 1
    return out


def summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ms = np.array(values) * 1000
    return {
        "n": len(values),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
    }


def _engine_env(
    settings: Settings, urls: Any, run: str, args: argparse.Namespace, data: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MQTT_", "GRIDSCORE_"))}
    env.update(
        DATABASE_URL=urls.database_url,
        REDIS_URL=urls.redis_url,
        MQTT_URL=settings.mqtt_url,
        MQTT_CLIENT_ID=f"gridscore-bench-{run}",
        MQTT_INPUT_PREFIX=f"{run}/v1/",
        MQTT_OUTPUT_PREFIX=f"{run}/f1/scoring/",
        MQTT_REJECTED_TOPIC=f"{run}/f1/ingest/rejected",
        GRIDSCORE_DATA_DIR=str(data),
        GRIDSCORE_LATENESS_MS=str(args.lateness_ms),
        GRIDSCORE_WINDOW_MS=str(args.window_ms),
        LOG_FORMAT="text",
    )
    for name in ("MQTT_USERNAME", "MQTT_PASSWORD", "MQTT_CA_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _start_engine(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    gridscore = Path(sys.executable).parent / "gridscore"
    with log.open("wb") as out:
        engine = subprocess.Popen(
            [str(gridscore), "live", "--no-recovery"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 120
    while "subscribed to" not in log.read_text(errors="replace"):
        if engine.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gridscore live did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    return engine


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings.from_env()
    feed = Path(args.feed)
    summary_ = summarise([feed])
    meeting = summary_.meeting_keys[0]
    start = datetime.now(UTC)  # provisional; only the offsets between messages matter offline
    planned = plan(feed, args.speed, args.duration, start)
    order = event_order(planned, start)
    docs = points_after_each(planned, order, start, settings.ruleset)
    run_id = f"bench-{uuid.uuid4().hex[:10]}"
    data = Path(args.data_dir) / run_id
    data.mkdir(parents=True, exist_ok=True)
    with running_services(settings) as urls:
        from store.migrate import upgrade

        upgrade(urls.database_url)
        book = prepare_teams(
            urls.database_url, meeting, summary_.drivers, summary_.constructors, args.teams, settings.ruleset
        )
        env = _engine_env(settings, urls, run_id, args, data)
        engine = _start_engine(env, data / "live.log")
        broker = BrokerConfig.from_settings(settings, client_id=f"gridscore-bench-{run_id}-pub")
        from_redis, from_mqtt = Observations(), Observations()
        stop = threading.Event()
        redis_watch = threading.Thread(target=watch_redis, args=(urls.redis_url, meeting, from_redis, stop))
        redis_watch.start()
        mqtt_watch = watch_mqtt(
            broker.with_client_id(f"gridscore-bench-{run_id}-sub"),
            f"{run_id}/f1/scoring/{meeting}/points",
            from_mqtt,
        )
        publisher = Publisher(broker)
        # Dates were planned from `start`: re-plan from the real start so event time is wall time.
        begin = datetime.now(UTC) + timedelta(seconds=1)
        planned = plan(feed, args.speed, args.duration, begin)
        origin = time.monotonic() + (begin - datetime.now(UTC)).total_seconds()
        published: list[float] = []
        for item in planned:
            delay = origin + item.offset_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            publisher.publish(f"{run_id}/{item.topic}", item.payload)
            published.append(time.monotonic())
        publisher.flush(30)
        published = [published[i] for i in order]  # in the order the docs were computed
        time.sleep(args.lateness_ms / 1000 + args.window_ms / 1000 + 3)
        stop.set()
        redis_watch.join(5)
        mqtt_watch.disconnect()
        mqtt_watch.loop_stop()
        publisher.close()
        engine.send_signal(signal.SIGTERM)
        engine.wait(60)
    return {
        "feed": feed.name,
        "speed": args.speed,
        "seconds_published": round(planned[-1].offset_s if planned else 0.0, 1),
        "messages": len(planned),
        "messages_per_s": round(len(planned) / max(planned[-1].offset_s, 1e-9), 1) if planned else 0,
        "scoring_messages": sum(
            1 for i in range(len(docs)) if docs[i] and (i == 0 or docs[i] != docs[i - 1])
        ),
        "teams": book.size if book else 0,
        "window_ms": args.window_ms,
        "lateness_ms": args.lateness_ms,
        "publish_to_redis": summary(latencies(published, docs, from_redis.seen)),
        "publish_to_mqtt": summary(latencies(published, docs, from_mqtt.seen)),
    }


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mqtt_latency", description=__doc__)
    parser.add_argument("--feed", default=str(DEFAULT_FEED))
    parser.add_argument("--speed", type=float, default=60.0, help="times real time (silences > 5 s cut)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of publishing")
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--window-ms", type=int, default=settings.window_ms)
    parser.add_argument("--lateness-ms", type=int, default=settings.lateness_ms)
    parser.add_argument("--data-dir", default=str(settings.data_dir / "bench"))
    print(json.dumps(run(parser.parse_args(argv))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
