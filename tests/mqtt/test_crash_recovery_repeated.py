"""`gridscore live` SIGKILLed several times at random moments while a lap-by-lap race is published, and
restarted each time with the same client id, journal and recovery folder (issue 7, point 1).

Each kill takes the engine's whole process group (the flow and its MQTT receiver) in one call. At
the end, against an uninterrupted reference:

- the journal holds every published message (duplicates aside: re-deliveries after a kill);
- the retained `f1/scoring/<meeting>/points` document equals `gridscore score` of the feed;
- Postgres final results (race_session, asset_result with breakdowns, team_result) equal those of
  the same feed through `dataflows.assemble.store_flow` on the same stored teams, run beforehand in
  the same database (snapshot, then cleared);
- with a real Celery worker and beat on the engine's broker (the engine's final sink records each
  final write in the notification outbox, beat's relay queues the fan-out), each team owner has
  exactly one results row per final session, saying the final results, and got exactly one MQTT
  message and one e-mail per (user, session).

The kill moments are random, drawn from a seed printed with the figures; GRIDSCORE_KILL_SEED=<seed>
repeats a schedule. Run with `-s` to see the figures.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from bytewax.testing import run_main

from benchmarks.replay import prepare_teams
from dataflows.assemble import store_flow
from gridscore.base.settings import Settings
from ingest.feeds import summarise
from ingest.journal import decode_line
from store.notify_ledger import RESULTS_FINAL
from store.urls import libpq_url
from tests.conftest import FEEDS
from tests.mqtt.conftest import (
    GRIDSCORE,
    MQTT_URL,
    Engine,
    Inbox,
    Prefixes,
    engine_env,
    forget_session,
    journal_lines,
    retained,
)
from tests.tasks.conftest import Service, wait_for
from tests.tasks.inbox import MqttInbox, SmtpInbox

pytestmark = pytest.mark.mqtt

FEED = FEEDS / "2023-01-bahrain.jsonl"  # 2,312 messages: Qualifying, then the Race lap by lap
TEAMS = 200
KILLS = 3
# Messages a second: the publish lasts about 46 s. A restart takes 4-8 s on the loaded 2-core test
# machine (mostly imports), up to 17 s with coverage measured in the engine, so three kills and
# restarts fit in it; meanwhile Mosquitto queues the engine's messages, and its default
# max_queued_messages (1000) must not be reached, or it drops some (the journal check would say so).
RATE = 50
FIRST_KILL_S = 1.5  # kills are drawn in KILLS equal slots of [FIRST_KILL_S, publish - LAST_KILL_BEFORE_END_S]
LAST_KILL_BEFORE_END_S = 2.0
UP_S = (0.2, 1.0)  # a kill due while the engine was restarting comes this long (random) after it is up
OFFSETS = re.compile(r"holds (\d+) messages; the flow starts at offset (\d+)")

Rows = dict[str, list[tuple[Any, ...]]]


class NotificationInbox(MqttInbox):
    """The notification subscriber, on a prefix of this module's own (not the tasks tests' one)."""

    PREFIX = f"test-{uuid.uuid4().hex[:8]}/f1/notifications/"
    TOPIC = f"{PREFIX}#"


@dataclass(frozen=True)
class Kill:
    number: int
    due_s: float  # when the schedule wanted it, seconds after the publish started
    at_s: float  # when it happened
    up_s: float  # how long the engine had been up (subscribed)
    published: int  # messages the broker had passed on by then (to a plain subscriber)
    journaled: int  # complete lines in the engine's journal right after the kill
    pids: int  # processes killed (the engine's group)
    restart_s: float  # from the kill to the new engine's subscription

    def describe(self) -> str:
        return (
            f"kill {self.number}: due {self.due_s:.2f} s, SIGKILL at {self.at_s:.2f} s"
            f" ({self.up_s:.1f} s after the engine was up) to {self.pids} processes;"
            f" {self.published} messages published by then, {self.journaled} journaled;"
            f" up again {self.restart_s:.1f} s later"
        )


def kill_schedule(rng: random.Random, publish_s: float, kills: int) -> list[float]:
    """One moment in each of `kills` equal slots of the publish, so the kills spread over it."""
    start, end = FIRST_KILL_S, publish_s - LAST_KILL_BEFORE_END_S
    slot = (end - start) / kills
    return [round(start + i * slot + rng.uniform(0.0, slot), 2) for i in range(kills)]


def final_results(database_url: str) -> Rows:
    with psycopg.connect(libpq_url(database_url)) as conn:
        return {
            "sessions": conn.execute(
                "SELECT session_key, meeting_key, name, date_start, date_end, state::text"
                " FROM race_session ORDER BY 1"
            ).fetchall(),
            "assets": conn.execute(
                "SELECT session_key, asset_kind::text, asset_name, points, breakdown::text, final"
                " FROM asset_result ORDER BY 1, 2, 3"
            ).fetchall(),
            "teams": conn.execute(
                "SELECT session_key, team_id, session_points, weekend_points, rank"
                " FROM team_result ORDER BY 1, 2"
            ).fetchall(),
        }


def clear_results(database_url: str) -> None:
    """What the reference run wrote, gone; the teams (users, rosters, leagues) stay."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute("TRUNCATE asset_result, team_result, notification")
        conn.execute("DELETE FROM race_session")


def differences(got: Rows, want: Rows) -> str:
    out = []
    for table in want:
        missing, extra = set(want[table]) - set(got[table]), set(got[table]) - set(want[table])
        if missing or extra:
            out.append(
                f"{table}: {len(got[table])} rows vs {len(want[table])} in the reference;"
                f" missing {sorted(missing)[:3]}..., unexpected {sorted(extra)[:3]}..."
            )
    return "\n".join(out) or "none"


def canonical_messages(path: Path, prefix: str) -> Counter[tuple[str, str]]:
    """(topic under v1/, payload with sorted keys) of each line of a feed or a journal."""
    out: Counter[tuple[str, str]] = Counter()
    for line in path.read_bytes().splitlines():
        message = decode_line(line, 0)
        payload = json.dumps(json.loads(message.payload), sort_keys=True)
        out["v1/" + message.topic.removeprefix(prefix), payload] += 1
    return out


def notification_env(
    prefixes: Prefixes, database_url: str, redis_url: str, smtp: SmtpInbox
) -> dict[str, str]:
    """What the worker and the engine share: the Celery broker and the notification settings."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "NOTIFY_MQTT": "true",
        "MQTT_NOTIFICATION_PREFIX": NotificationInbox.PREFIX,
        "NOTIFY_CHUNK_SIZE": "20",
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
    }


def worker_env(prefixes: Prefixes, shared: dict[str, str], data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SMTP_", "CELERY_", "NOTIFY_", "MQTT_", "GRIDSCORE_", "SYNC_"))
    }
    env.update(
        shared,
        MQTT_URL=MQTT_URL,
        MQTT_CLIENT_ID=f"gridscore-{prefixes.run}-worker",
        SYNC_SOURCE_URL="http://127.0.0.1:9",  # nothing here syncs; never the real Jolpica
        GRIDSCORE_DATA_DIR=str(data_dir),
        LOG_FORMAT="text",
        LOG_LEVEL="INFO",
    )
    return env


def test_engine_killed_repeatedly_ends_as_an_uninterrupted_run(
    mqtt_url: str, prefixes: Prefixes, db: str, redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("GRIDSCORE_KILL_SEED") or random.SystemRandom().randrange(1 << 32))
    rng = random.Random(seed)
    summary = summarise([FEED])
    meeting, total = summary.meeting_keys[0], summary.messages
    expected_points = json.loads((FEEDS / "expected" / f"{FEED.stem}.json").read_text())

    # The uninterrupted reference: the replay flow on the same stored teams, no notifications.
    book = prepare_teams(db, meeting, summary.drivers, summary.constructors, TEAMS, "f1fantasy-2025")
    assert book is not None
    assert book.size == TEAMS
    run_main(store_flow(db, redis_url, [FEED], Settings(), book=book, meeting_key=meeting))
    reference = final_results(db)
    final_sessions = sorted(r[0] for r in reference["sessions"] if r[5] == "final")
    assert len(final_sessions) == 2
    assert len(reference["teams"]) == TEAMS * 2
    clear_results(db)
    redis_client.flushdb()

    journal = tmp_path / "journal.jsonl"
    topic = f"{prefixes.output}{meeting}/points"
    schedule = kill_schedule(rng, total / RATE, KILLS)
    print(f"\nkill seed {seed} (GRIDSCORE_KILL_SEED={seed} repeats it); kills due at {schedule} s")
    kills: list[Kill] = []
    with contextlib.ExitStack() as stack:
        smtp = stack.enter_context(SmtpInbox.serving())
        shared = notification_env(prefixes, db, redis_url, smtp)
        env = engine_env(
            prefixes,
            db,
            redis_url,
            tmp_path / "data",
            MQTT_JOURNAL=str(journal),
            GRIDSCORE_RECOVERY_DIR=str(tmp_path / "recovery"),
            GRIDSCORE_SNAPSHOT_INTERVAL_MS="200",
            **shared,
        )
        stack.callback(forget_session, mqtt_url, env["MQTT_CLIENT_ID"])
        notifications = NotificationInbox.connect(mqtt_url)
        stack.callback(notifications.close)
        worker = Service(
            ["worker", "--concurrency", "2"],
            worker_env(prefixes, shared, tmp_path / "data"),
            tmp_path / "worker.log",
        )
        stack.callback(worker.stop)
        beat = Service(["beat"], worker_env(prefixes, shared, tmp_path / "data"), tmp_path / "beat.log")
        stack.callback(beat.stop)
        engine = Engine(env, tmp_path / "live.log")
        stack.callback(engine.stop)
        engine.start()
        up_since = time.monotonic()
        points = Inbox.subscribe(mqtt_url, topic)
        stack.callback(points.close)
        fed = Inbox.subscribe(mqtt_url, f"{prefixes.input}#")
        stack.callback(fed.close)
        publisher = subprocess.Popen(
            [str(GRIDSCORE), "publish", str(FEED), "--max-rate", str(RATE), "--prefix", prefixes.input],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        stack.callback(lambda: publisher.poll() is not None or publisher.kill())
        publish_started = time.monotonic()

        for number, due in enumerate(schedule, 1):
            min_up = rng.uniform(*UP_S)
            time.sleep(max(publish_started + due - time.monotonic(), min_up if kills else 0.0))
            assert publisher.poll() is None, f"kill {number} came after the publish ended"
            at = time.monotonic()
            up = at - up_since
            pids = engine.kill_tree()
            published, journaled = len(fed.snapshot()), journal_lines(journal)
            engine.start()
            up_since = time.monotonic()
            kills.append(
                Kill(
                    number,
                    due,
                    round(at - publish_started, 2),
                    round(up, 2),
                    published,
                    journaled,
                    len(pids),
                    round(up_since - at, 2),
                )
            )
            print(kills[-1].describe())
        assert publisher.wait(90) == 0, publisher.stderr.read() if publisher.stderr else ""
        publish_s = time.monotonic() - publish_started
        publisher_said = (publisher.stderr.read() if publisher.stderr else "").strip()

        # Results: retained points, Postgres, and the journal (nothing the broker took was lost).
        def final(box: Inbox) -> bool:
            message = box.latest().get(topic)
            return message is not None and message.json()["final"] is True

        try:
            points.wait_for(final, 60, "the weekend's final points after the last restart")
            wait_for(lambda: final_results(db) == reference, 60, "the final results in Postgres")
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\ndifferences: {differences(final_results(db), reference)}\n{engine.tail()}"
            ) from None
        results_s = time.monotonic() - publish_started
        feed_messages, journaled_messages = (
            canonical_messages(FEED, "v1/"),
            canonical_messages(journal, prefixes.input),
        )
        lost = feed_messages - journaled_messages
        assert not lost, f"{lost.total()} messages never reached the journal (broker queue limit?)"
        assert set(journaled_messages) == set(feed_messages), "the journal holds only what was published"
        document = retained(mqtt_url, topic, settle=0.5)[topic].json()
        assert {k: document[k] for k in ("drivers", "constructors")} == expected_points

        # Notifications: one row per (owner, final session), each sent once on each channel.
        owners, rows = settled_notifications(db, final_sessions, redis_client, notifications, smtp, worker)
        assert final_results(db) == reference, "and they stayed so"
        wanted = {(user, session) for user in owners for session in final_sessions}
        assert Counter((user, session) for _, user, session, _ in rows) == dict.fromkeys(wanted, 1)
        told = {
            (session, team["team_id"]): (team["session_points"], team["weekend_points"], team["rank"])
            for _, _, session, payload in rows
            for team in payload["teams"]
        }
        assert told == {(r[0], r[1]): r[2:] for r in reference["teams"]}, "owners are told the final results"
        documents = [(t, d) for t, d in notifications.documents() if d.get("kind") == RESULTS_FINAL]
        per_user_session = Counter((int(t.rsplit("/", 1)[1]), d["session_key"]) for t, d in documents)
        assert per_user_session == dict.fromkeys(wanted, 1), "one MQTT notification per (user, session)"
        assert sorted(d["id"] for _, d in documents) == sorted(r[0] for r in rows)
        emails = list(smtp.messages)
        assert Counter(emails) == dict.fromkeys(set(emails), 1), "no e-mail twice"
        assert Counter(rcpt for rcpt, _ in emails) == dict.fromkeys(owners.values(), len(final_sessions))

    # The figures, for the README's reliability section.
    starts = [(int(held), int(first)) for held, first in OFFSETS.findall(engine.log_text())]
    assert len(starts) == KILLS + 1, starts
    for kill, (held, first) in zip(kills, starts[1:], strict=True):
        print(
            f"restart {kill.number}: the journal held {held} lines; the flow resumed from its last snapshot"
            f" at offset {first} ({held - first} messages replayed from the journal)"
        )
    print(
        f"{FEED.name}: {total} messages published at {RATE} msg/s in {publish_s:.1f} s ({publisher_said});"
        f" the journal ends with {journal_lines(journal)} lines, none missing"
        f" ({journal_lines(journal) - total} re-deliveries after kills); {KILLS} kills survived;"
        f" final results identical to the uninterrupted replay {results_s:.1f} s after the publish began:"
        f" {len(reference['sessions'])} sessions, {len(reference['assets'])} asset_result rows,"
        f" {len(reference['teams'])} team_result rows; retained points = gridscore score;"
        f" {len(rows)} notification rows for {len(owners)} owners x {len(final_sessions)} sessions,"
        f" {len(documents)} MQTT messages, {len(emails)} e-mails, none twice"
    )


def settled_notifications(
    database_url: str,
    final_sessions: list[int],
    broker: redis.Redis,
    inbox: MqttInbox,
    smtp: SmtpInbox,
    worker: Service,
) -> tuple[dict[int, str], list[tuple[int, int, int, dict[str, Any]]]]:
    """Once every row is sent, the broker is drained and a moment has passed for any duplicate to
    arrive: the owners (id: e-mail) and the ledger's results rows (id, user, session, payload)."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        owners: dict[int, str] = dict(
            conn.execute(
                "SELECT DISTINCT u.id, u.email FROM team t JOIN user_account u ON u.id = t.user_id"
                " JOIN team_result r ON r.team_id = t.id"
            ).fetchall()
        )
        expected = len(owners) * len(final_sessions)

        def ledger() -> tuple[int, int, int]:
            row = conn.execute(
                "SELECT count(*), count(published_at), count(emailed_at) FROM notification WHERE kind = %s",
                (RESULTS_FINAL,),
            ).fetchone()
            assert row is not None
            return row[0], row[1], row[2]

        def drained() -> bool:
            """Nothing queued, and nothing taken but unacknowledged (which would come back)."""
            return broker.llen("celery") == 0 and broker.zcard("unacked_index") == 0

        try:
            wait_for(lambda: ledger() == (expected, expected, expected), 60, "every notification row sent")
            wait_for(lambda: len(inbox.documents()) >= expected, 15, "the MQTT notifications")
            wait_for(lambda: smtp.count() >= expected, 15, "the e-mails")
            wait_for(drained, 30, "the Celery queue to drain")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: ledger {ledger()}\n{worker.output()[-3000:]}") from None
        time.sleep(1.5)  # a duplicate would be on its way by now
        rows = conn.execute(
            "SELECT id, user_id, session_key, payload FROM notification WHERE kind = %s", (RESULTS_FINAL,)
        ).fetchall()
    return owners, rows
