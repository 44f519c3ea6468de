"""Publish scores to MQTT from the flow (QoS 1), on a paho client with its own network thread.

Small documents go out with every batch: the weekend's points and the sessions that moved (both
retained). League tops and team totals concern up to a million teams, so they go out from a
process of their own (`dataflows.mqtt_bulk`) with its own client: at most once per
`bulk_interval_s` per meeting (at once when a session becomes final), only those that changed
since the last round, and at most `bulk_max_rate` messages a second. Tens of thousands of small
publishes are Python work; in the engine's process they would hold the GIL the flow needs, and
the points document would queue behind them in the same client. Team totals are opt-in.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from dataflows import mqtt_documents as docs
from dataflows.mqtt_options import MqttOutputOptions
from dataflows.sinks import rejected_document
from ingest.broker import BrokerConfig, Publisher
from ingest.decode import Rejected
from scoring.outcomes import ScoredWindow, TeamScores

log = logging.getLogger(__name__)
JOIN_S = 60.0  # a hang guard: a stopped child exits at its next message (a publish or the pipe's end)

__all__ = ["BulkChild", "BulkPublisher", "MqttOutputOptions", "RejectedMqttPublisher", "ScoringMqttSink"]


class ScoringMqttSink(DynamicSink[ScoredWindow]):
    def __init__(self, broker: BrokerConfig, options: MqttOutputOptions) -> None:
        self.broker = broker
        self.options = options

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _ScoringPartition:
        publisher = Publisher(self.broker.with_client_id(f"{self.broker.client_id}-out-{worker_index}"))
        bulk = BulkPublisher(
            self.broker.with_client_id(f"{self.broker.client_id}-bulk-{worker_index}"), self.options
        )
        return _ScoringPartition(publisher, self.options, bulk)


class _ScoringPartition(StatelessSinkPartition[ScoredWindow]):
    def __init__(self, publisher: Publisher, options: MqttOutputOptions, bulk: BulkPublisher) -> None:
        self.publisher = publisher
        self.options = options
        self.bulk = bulk

    def write_batch(self, items: list[ScoredWindow]) -> None:
        prefix = self.options.prefix
        sessions: dict[int, ScoredWindow] = {}
        meetings: dict[int, ScoredWindow] = {}
        for window in items:
            sessions[window.weekend.session.points.session_key] = window
            meetings[window.weekend.meeting_key] = window
        for meeting, window in meetings.items():  # the points first: the document every reader waits for
            self.publisher.publish(
                docs.points_topic(prefix, meeting), docs.points_payload(window.weekend), retain=True
            )
        for key, window in sessions.items():
            topic = docs.session_topic(prefix, window.weekend.meeting_key, key)
            self.publisher.publish(topic, docs.session_payload(window.weekend), retain=True)
        for window in items:
            if window.teams is not None:
                self.bulk.offer(window)

    def close(self) -> None:
        self.bulk.close()
        self.publisher.close()


class BulkPublisher:
    """League tops and team totals, handed to a child process: at most one round per interval per
    meeting, the latest window only. A thread here sends each round (every team's total and rank,
    and a meeting's teams and leagues when they change) down a pipe; it waits while the child is
    still publishing the previous round, and a newer window replaces one that waits. Closing is
    prompt: the child abandons its round, and rounds not handed over yet are dropped (both logged)."""

    def __init__(self, broker: BrokerConfig, options: MqttOutputOptions) -> None:
        self.options = options
        self.child = BulkChild(broker, options)
        self._pending: dict[int, ScoredWindow] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="mqtt-bulk", daemon=True)
        if self.enabled:
            self._thread.start()

    @property
    def enabled(self) -> bool:
        return self.options.league_top_n > 0 or self.options.team_topics

    def offer(self, window: ScoredWindow) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._pending[window.weekend.meeting_key] = window
            if window.weekend.session.newly_final:
                self._wake.set()  # a classification: publish now, not at the next tick

    def close(self) -> None:
        if not self.enabled:
            return
        self.child.stopping()  # first: a round being published ends now, and frees the pipe
        self._closing = True
        self._wake.set()
        self._thread.join(JOIN_S)

    def _run(self) -> None:
        while not self._closing:
            self._wake.wait(self.options.bulk_interval_s)
            self._wake.clear()
            with self._lock:
                pending, self._pending = self._pending, {}
            if self._closing:
                if pending:
                    log.info(
                        "stopping: league and team topics of meeting(s) %s not published", sorted(pending)
                    )
                break
            for window in pending.values():
                teams = window.teams
                assert teams is not None
                meeting = window.weekend.meeting_key
                try:
                    self.child.send(meeting, window.weekend.session.points.session_key, teams)
                except (OSError, EOFError, ValueError):
                    log.exception("league and team topics of meeting %d not handed over", meeting)
                    self.child.stop()
        self.child.stop()


class BulkChild:
    """The child process that publishes league tops and team totals (dataflows.mqtt_bulk.serve), and
    the pipe to it: started on the first round (again if it died), stopped promptly."""

    def __init__(self, broker: BrokerConfig, options: MqttOutputOptions) -> None:
        self.broker = broker
        self.options = options
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._pipe: Connection | None = None
        self._stopping: EventType | None = None
        self._sent_books: dict[int, tuple[object, object, object]] = {}

    @property
    def process(self) -> BaseProcess | None:
        return self._process

    def send(self, meeting: int, session_key: int, teams: TeamScores) -> None:
        """A round of `teams` (their book first, when the child does not have it yet)."""
        pipe = self._ensure()
        index = (teams.book.team_ids, teams.book.member_league, teams.book.member_slot)
        held = self._sent_books.get(meeting)
        if held is None or not all(a is b for a, b in zip(held, index, strict=True)):
            pipe.send(("book", meeting, teams.book.index_only()))
            self._sent_books[meeting] = index
        pipe.send(("round", meeting, session_key, teams.totals, teams.ranks))

    def stopping(self) -> None:
        """Tell the child to abandon what it publishes (it stops at its next message)."""
        if self._stopping is not None:
            self._stopping.set()

    def stop(self) -> None:
        """Stop the child: its round abandoned, then it exits (killed, logged, if it does not)."""
        self.stopping()
        process, pipe, self._process, self._pipe = self._process, self._pipe, None, None
        if pipe is not None:
            with contextlib.suppress(OSError, ValueError):
                pipe.send(("stop",))
            pipe.close()
        if process is not None:
            process.join(JOIN_S)
            if process.is_alive():
                log.error("MQTT bulk publisher (pid %s) did not stop: killed", process.pid)
                process.kill()

    def _ensure(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._pipe is not None:
            return self._pipe
        if self._process is not None:
            log.error(
                "MQTT bulk publisher (pid %s) exited with code %s; starting it again",
                self._process.pid,
                self._process.exitcode,
            )
        from dataflows.mqtt_bulk import serve

        receiver, sender = self._context.Pipe(duplex=False)
        self._stopping = self._context.Event()
        level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
        self._process = self._context.Process(
            target=serve,
            args=(self.broker, self.options, receiver, level, self._stopping),
            name="gridscore-mqtt-bulk",
            daemon=True,
        )
        self._process.start()
        receiver.close()
        self._pipe, self._sent_books = sender, {}
        return sender


class RejectedMqttPublisher:
    """The `also` hook of RejectedRedisSink: every rejected input, with its reason, to one topic."""

    def __init__(self, broker: BrokerConfig, topic: str) -> None:
        self.broker = broker
        self.topic = topic
        self._publisher: Publisher | None = None

    def __call__(self, items: list[Rejected]) -> None:
        if self._publisher is None:
            self._publisher = Publisher(self.broker)
        for item in items:
            self._publisher.publish(self.topic, docs.encode(rejected_document(item)))

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
