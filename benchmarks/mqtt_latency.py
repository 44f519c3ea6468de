"""Live latency through MQTT, end to end: publish -> f1/scoring points, -> every team's total and
rank in Redis, -> every league's standings in Redis.

    python -m benchmarks.mqtt_latency [--feed F] [--speed 60] [--duration 60] [--teams 10000]

Starts `gridscore live` (its own topic prefixes and client id) against MQTT_URL, DATABASE_URL and
REDIS_URL (embedded servers when unset), stores TEAMS teams for the weekend, waits until the engine
has loaded them (as it does before a weekend's first window), then publishes the feed at SPEED
times real time for DURATION seconds, with every payload date moved to the moment it is published
(so that event time is wall time, as on a live broker). Meanwhile it watches the f1/scoring points
topic and the meeting's Redis update channel: on each note it reads, in one transaction, what the
note announces (the points document and the meeting version; or the totals of 64 sample teams, with
the points document and version they are of); a note of league standings names its version.

A published message that changes the weekend's points is "visible" at the first observed points
document equal to the points after that message or a later one, in the order they were published
(computed offline with the same scoring code): the message and everything published before it.
(`--order event` takes event-time order instead, as this benchmark first did; then a position is
not visible before the laps published up to 1.7 s after it, which are dated at their start.)
Totals count only where the sample teams' totals are the ones their points document gives them;
league standings are matched to the newest totals read at or before their version (if that
version went unread, an older document: never early). Latency is that moment
minus the moment the message was published: p50, p99 and max in ms, printed as one JSON object
with the machine's load average before and after. `--engine-root` runs the engine from another
checkout (to measure old and new code side by side).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import psycopg
import redis

from benchmarks.replay import prepare_teams
from dataflows.config import FlowConfig, flow_config
from dataflows.session_state import SessionState
from dataflows.weekend_state import WeekendState
from gridscore.base.services import ServiceUrls, running_services
from gridscore.base.settings import Settings
from ingest.broker import BrokerConfig, Publisher
from ingest.decode import Envelope, Message, decode_payload
from ingest.feeds import summarise
from ingest.recorded import Pacer, iter_lines
from scoring.points import score_session
from scoring.teams import TeamBook, constructor_asset, driver_asset
from scoring.weekend import SessionUpdate
from store import live_keys
from store.urls import libpq_url

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


def points_after_each(
    planned: list[Planned], order: list[int], start: datetime, config: FlowConfig
) -> list[str]:
    """The weekend's points (canonical JSON) after each message taken in `order`, scored from scratch
    with the engine's rules and bounds."""
    rules = config.rules
    sessions: dict[int, SessionState] = {}
    weekend: WeekendState | None = None
    current = ""
    docs: list[str] = []
    for index in order:
        item = planned[index]
        message = decode_payload(item.topic, item.payload, start + timedelta(seconds=item.offset_s), index)
        if isinstance(message, Message):
            key = message.event.session_key
            state = sessions.setdefault(key, SessionState(key, config.lateness, config.limits.date_slack))
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


SAMPLE_TEAMS = 64
ENGINE_STOP_S = 300.0  # a SIGTERMed engine finishes what it received; past this it is killed


@dataclass
class RedisObservations:
    """What the Redis watcher read: points documents (stamp, meeting version, document), team
    totals (stamp, the version they are of, the points document they are of, the sample teams'
    totals) and league standings (stamp, version). An engine that writes the totals with the
    points (one note a window, no `part`) gives both from one read."""

    windows: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)
    totals_read: list[tuple[float, int, dict[str, Any], list[int | None]]] = field(default_factory=list)
    leagues: list[tuple[float, int]] = field(default_factory=list)

    def points(self) -> list[tuple[float, str]]:
        return [(stamp, _canonical(d["drivers"], d["constructors"])) for stamp, _, d in self.windows]

    def totals(self, sample: TeamBook) -> tuple[list[tuple[float, str]], int]:
        """The totals read whose sample teams' totals are the ones their points document gives,
        and how many were not."""
        matched, mismatched, expected = [], 0, {}
        for stamp, _, document, read in self.totals_read:
            doc = _canonical(document["drivers"], document["constructors"])
            if doc not in expected:
                expected[doc] = _team_totals(sample, document)
            if read == expected[doc]:
                matched.append((stamp, doc))
            else:
                mismatched += 1
        return matched, mismatched

    def league_points(self) -> list[tuple[float, str]]:
        """League standings, each matched to the points document of the newest totals read at or
        before its version (if that version went unread, an older one: never early)."""
        read = sorted((version, i) for i, (_, version, _, _) in enumerate(self.totals_read))
        versions = [v for v, _ in read]
        out = []
        for stamp, version in self.leagues:
            at = bisect.bisect_right(versions, version) - 1
            if at >= 0:
                document = self.totals_read[read[at][1]][2]
                out.append((stamp, _canonical(document["drivers"], document["constructors"])))
        return out


def _team_totals(sample: TeamBook, document: dict[str, Any]) -> list[int | None]:
    def by_asset(kinds: dict[str, dict[str, int]]) -> dict[str, int]:
        points = {driver_asset(n): v for n, v in kinds.get("drivers", {}).items()}
        points.update({constructor_asset(n): v for n, v in kinds.get("constructors", {}).items()})
        return points

    totals = sample.totals(
        by_asset(document),
        by_asset(document.get("no_negative", {})),
        before_race=by_asset(document.get("before_race", {})),
    )
    return [int(t) for t in totals]


def watch_redis(
    url: str, meeting: int, slots: list[int], into: RedisObservations, stop: threading.Event
) -> None:
    client = redis.Redis.from_url(url)
    pubsub = client.pubsub()
    pubsub.subscribe(live_keys.updates_channel(meeting))
    while not stop.is_set():
        note = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if note is None:
            continue
        stamp = time.monotonic()
        part = json.loads(note["data"]).get("part")
        if part == "leagues":  # read here: the channel is shared by every Redis DB's engines
            version = int(client.get(live_keys.league_version(meeting)) or 0)
            if not into.leagues or into.leagues[-1][1] != version:
                into.leagues.append((stamp, version))
            continue
        pipe = client.pipeline(transaction=True)
        if part in (None, "points"):
            pipe.get(live_keys.meeting_points(meeting))
            pipe.get(live_keys.meeting_version(meeting))
        else:  # totals, and the points they are of
            pipe.get(live_keys.totals_points(meeting))
            pipe.get(live_keys.totals_version(meeting))
        for slot in slots if part in (None, "totals") else []:
            pipe.getrange(live_keys.team_totals(meeting), *live_keys.int32_bytes(slot, slot + 1))
        raw, version, *totals = pipe.execute()
        if raw is None:
            continue
        document = json.loads(raw)
        if part in (None, "points"):
            into.windows.append((stamp, int(version or 0), document))
        if part in (None, "totals"):
            unpacked = [live_keys.unpack_int32(t) for t in totals]
            read = [int(t[0]) if t.size == 1 else None for t in unpacked]
            into.totals_read.append((stamp, int(version or 0), document, read))
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
    """For each message (in `order`) that changed the points: the first observation of the points
    after it (or after a later one), minus when it was published."""
    return list(latency_by_message(published, docs, seen).values())


def latency_by_message(
    published: list[float], docs: list[str], seen: list[tuple[float, str]]
) -> dict[int, float]:
    """`latencies`, keyed by the message's place in `order`."""
    changes = [i for i in range(len(docs)) if docs[i] and (i == 0 or docs[i] != docs[i - 1])]
    where: dict[str, list[int]] = {}
    for index, doc in enumerate(docs):
        where.setdefault(doc, []).append(index)
    out: dict[int, float] = {}
    pending = 0
    for stamp, doc in sorted(seen):
        matches = [j for j in where.get(doc, []) if published[j] <= stamp]
        if not matches:
            continue
        newest = max(matches)
        while pending < len(changes) and changes[pending] <= newest:
            out[changes[pending]] = stamp - published[changes[pending]]
            pending += 1
    return out


def dump(
    path: Path, planned: list[Planned], order: list[int], published: list[float], **seen: dict[int, float]
) -> None:
    """One line per message that changed the points: when it went out and each latency, in ms."""
    origin = min(published, default=0.0)
    with path.open("w") as out:
        for place, index in enumerate(order):
            if any(place in s for s in seen.values()):
                row: dict[str, Any] = {
                    "at_s": round(published[place] - origin, 3),
                    "topic": planned[index].topic,
                }
                row.update({k: round(v[place] * 1000, 1) for k, v in seen.items() if place in v})
                out.write(json.dumps(row) + "\n")


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
    if args.engine_root:
        env["PYTHONPATH"] = str(Path(args.engine_root).resolve())
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
    env.update(item.split("=", 1) for item in args.engine_env)
    return env


def _start_engine(env: dict[str, str], log: Path, root: str | None) -> subprocess.Popen[bytes]:
    gridscore = Path(sys.executable).parent / "gridscore"
    with log.open("wb") as out:
        engine = subprocess.Popen(
            [str(gridscore), "live", "--no-recovery", "--no-migrate"],  # migrated above
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    deadline = time.monotonic() + 120
    while "subscribed to" not in log.read_text(errors="replace"):
        if engine.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gridscore live did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    return engine


def cpu_seconds(root: int) -> float | None:
    """CPU time (user and system) used so far by process `root` and its children (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    if root not in stats:
        return None
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == pid)
    return total


RACE_FINAL = "SELECT 1 FROM race_session WHERE meeting_key = %s AND name = 'Race' AND state = 'final'"


def weekend_in_play(database_url: str, meeting: int, reopen: bool) -> None:
    """The weekend must be in play (its Race not final), as it is live: an engine loads only those
    teams when it starts, and any other at its first window, which the first messages then wait
    for (`gridscore bench` had replayed the race to the end in the same database: totals p99 6.6 s
    against 155 ms). `reopen`: set the meeting's sessions upcoming again (the bench's own
    database); otherwise a finished Race is an error."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        if conn.execute(RACE_FINAL, (meeting,)).fetchone() is None:
            return
        if not reopen:
            raise RuntimeError(
                f"the Race of meeting {meeting} is final in this database: the engine would load its teams"
                " only at the first message, not before the race as live; use another database, or"
                " --reopen-weekend to set its sessions upcoming again"
            )
        conn.execute("UPDATE race_session SET state = 'upcoming' WHERE meeting_key = %s", (meeting,))


def _wait_for_teams(log: Path, meeting: int, timeout_s: float) -> float:
    """Wait until the engine has loaded the weekend's teams, as live before the weekend's first window;
    the seconds it took. An engine that does not say it loads them when it starts, or does not
    load them in `timeout_s`, is an error: the latencies would time the load instead."""
    started = time.monotonic()
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if re.search(rf"loaded \d+ teams of meeting {meeting}\b", text):
            return time.monotonic() - started
        if not re.search(rf"loading the teams of meetings \[[^]]*\b{meeting}\b", text):
            raise RuntimeError(
                f"the engine does not load the teams of meeting {meeting} before the race:\n{text}"
            )
        time.sleep(0.2)
    raise RuntimeError(f"the engine did not load the teams of meeting {meeting} in {timeout_s:.0f} s")


def _stop_engine(engine: subprocess.Popen[bytes]) -> float:
    """SIGTERM, then the seconds the engine took to exit; killed after ENGINE_STOP_S (10M teams took over
    a minute to stop once: the figures measured before the stop are kept, not lost with it)."""
    asked = time.monotonic()
    engine.send_signal(signal.SIGTERM)
    try:
        engine.wait(ENGINE_STOP_S)
    except subprocess.TimeoutExpired:
        print(f"the engine did not stop within {ENGINE_STOP_S:.0f} s of SIGTERM: killed", file=sys.stderr)
        engine.kill()
        engine.wait()
    return round(time.monotonic() - asked, 1)


def run(args: argparse.Namespace, servers: ServiceUrls | None = None) -> dict[str, Any]:
    """The benchmark; `servers`: PostgreSQL and Redis to use (those of the settings, or embedded ones,
    when None)."""
    settings = Settings.from_env()
    feed = Path(args.feed)
    summary_ = summarise([feed])
    meeting = summary_.meeting_keys[0]
    start = datetime.now(UTC)  # provisional; only the offsets between messages matter offline
    planned = plan(feed, args.speed, args.duration, start)
    order = event_order(planned, start) if args.order == "event" else list(range(len(planned)))
    config = replace(flow_config(settings), lateness=timedelta(milliseconds=args.lateness_ms))
    docs = points_after_each(planned, order, start, config)
    run_id = f"bench-{uuid.uuid4().hex[:10]}"
    data = Path(args.data_dir) / run_id
    data.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    with contextlib.nullcontext(servers) if servers is not None else running_services(settings) as urls:
        from store.migrate import upgrade

        upgrade(urls.database_url)
        book = prepare_teams(
            urls.database_url, meeting, summary_.drivers, summary_.constructors, args.teams, settings.ruleset
        )
        rng = np.random.default_rng(meeting)
        slots = (
            sorted(rng.choice(book.size, min(SAMPLE_TEAMS, book.size), replace=False).tolist())
            if book
            else []
        )
        sample = book.take(np.array(slots, dtype=np.intp)) if book else None
        weekend_in_play(urls.database_url, meeting, args.reopen_weekend)
        env = _engine_env(settings, urls, run_id, args, data)
        engine = _start_engine(env, data / "live.log", args.engine_root)
        try:
            teams_loaded_s = _wait_for_teams(data / "live.log", meeting, args.settle_s) if book else 0.0
        except RuntimeError:
            engine.send_signal(signal.SIGTERM)
            engine.wait(60)
            raise
        broker = BrokerConfig.from_settings(settings, client_id=f"gridscore-bench-{run_id}-pub")
        from_redis, from_mqtt = RedisObservations(), Observations()
        stop = threading.Event()
        redis_watch = threading.Thread(
            target=watch_redis, args=(urls.redis_url, meeting, slots, from_redis, stop)
        )
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
        cpu_before = cpu_seconds(engine.pid)
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
        cpu_after = cpu_seconds(engine.pid)
        stop.set()
        redis_watch.join(5)
        mqtt_watch.disconnect()
        mqtt_watch.loop_stop()
        publisher.close()
        engine_stop_s = _stop_engine(engine)
    totals, mismatched = from_redis.totals(sample) if sample is not None else ([], 0)
    if args.dump:
        dump(
            Path(args.dump),
            planned,
            order,
            published,
            points=latency_by_message(published, docs, from_mqtt.seen),
            totals=latency_by_message(published, docs, totals),
            leagues=latency_by_message(published, docs, from_redis.league_points()),
        )
    to_points = summary(latencies(published, docs, from_mqtt.seen))
    to_totals = summary(latencies(published, docs, totals))
    to_leagues = summary(latencies(published, docs, from_redis.league_points()))
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
        "teams_loaded_before_race_s": round(teams_loaded_s, 1),
        "engine_stop_s": engine_stop_s,
        "window_ms": args.window_ms,
        "lateness_ms": args.lateness_ms,
        "order": args.order,
        "engine_root": args.engine_root or str(ROOT),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "publish_to_points_ms_p50": to_points.get("p50_ms"),
        "publish_to_points_ms_p99": to_points.get("p99_ms"),
        "publish_to_totals_ms_p50": to_totals.get("p50_ms"),
        "publish_to_totals_ms_p99": to_totals.get("p99_ms"),
        "publish_to_leagues_ms_p50": to_leagues.get("p50_ms"),
        "publish_to_leagues_ms_p99": to_leagues.get("p99_ms"),
        "publish_to_mqtt": to_points,
        "publish_to_redis": summary(latencies(published, docs, from_redis.points())),
        "publish_to_totals": to_totals,
        "publish_to_leagues": to_leagues,
        "totals_reads_not_matching_points": mismatched,
        "engine_cpu_s": round(cpu_after - cpu_before, 1)
        if cpu_before is not None and cpu_after is not None
        else None,
    }


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(run(parser().parse_args(argv))))
    return 0


def parser() -> argparse.ArgumentParser:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mqtt_latency", description=__doc__)
    parser.add_argument("--feed", default=str(DEFAULT_FEED))
    parser.add_argument("--speed", type=float, default=60.0, help="times real time (silences > 5 s cut)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of publishing")
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--window-ms", type=int, default=settings.window_ms)
    parser.add_argument("--lateness-ms", type=int, default=settings.lateness_ms)
    parser.add_argument("--data-dir", default=str(settings.data_dir / "bench"))
    parser.add_argument(
        "--engine-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an engine setting (repeatable)",
    )
    parser.add_argument(
        "--order", choices=("published", "event"), default="published", help="what a message's points include"
    )
    parser.add_argument("--dump", help="write each message's latencies here (JSON lines)")
    parser.add_argument("--engine-root", help="run the engine from this checkout (old against new code)")
    parser.add_argument(
        "--settle-s",
        type=float,
        default=600.0,
        help="wait at most this long for the engine to load its teams",
    )
    parser.add_argument(
        "--reopen-weekend",
        action="store_true",
        help="set the meeting's sessions upcoming again if its Race is final (a database a replay finished)",
    )
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
