"""Publish scores to MQTT from the flow (QoS 1), on a paho client with its own network thread.

Small documents go out with every batch: the weekend's points and the sessions that moved (both
retained). League tops and team totals concern up to a million teams, so they go out from a
background thread at most once per `bulk_interval_s` per meeting (at once when a session becomes
final), only those that changed since the last round, and at most `bulk_max_rate` messages a
second (a round over 40,000 leagues then takes 20 s instead of a core's worth of GIL for several
seconds, which would stall the flow). Team totals are opt-in.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
from bytewax.outputs import DynamicSink, StatelessSinkPartition

from dataflows import mqtt_documents as docs
from dataflows.scoring_steps import ScoredWindow, TeamScores
from dataflows.sinks import rejected_document
from ingest.broker import BrokerConfig, Publisher
from ingest.decode import Rejected
from ingest.publish import RateLimit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MqttOutputOptions:
    prefix: str = "f1/scoring/"
    league_top_n: int = 10  # 0: no league topics
    bulk_interval_s: float = 5.0
    team_topics: bool = False
    bulk_max_rate: float = 2_000.0  # league and team messages per second (0: no cap)


class ScoringMqttSink(DynamicSink[ScoredWindow]):
    def __init__(self, broker: BrokerConfig, options: MqttOutputOptions) -> None:
        self.broker = broker
        self.options = options

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _ScoringPartition:
        publisher = Publisher(self.broker.with_client_id(f"{self.broker.client_id}-out-{worker_index}"))
        return _ScoringPartition(publisher, self.options)


class _ScoringPartition(StatelessSinkPartition[ScoredWindow]):
    def __init__(self, publisher: Publisher, options: MqttOutputOptions) -> None:
        self.publisher = publisher
        self.options = options
        self.bulk = BulkPublisher(publisher, options)

    def write_batch(self, items: list[ScoredWindow]) -> None:
        prefix = self.options.prefix
        sessions: dict[int, ScoredWindow] = {}
        meetings: dict[int, ScoredWindow] = {}
        for window in items:
            sessions[window.weekend.session.points.session_key] = window
            meetings[window.weekend.meeting_key] = window
        for key, window in sessions.items():
            topic = docs.session_topic(prefix, window.weekend.meeting_key, key)
            self.publisher.publish(topic, docs.session_payload(window.weekend), retain=True)
        for meeting, window in meetings.items():
            self.publisher.publish(
                docs.points_topic(prefix, meeting), docs.points_payload(window.weekend), retain=True
            )
        for window in items:
            if window.teams is not None:
                self.bulk.offer(window)

    def close(self) -> None:
        self.bulk.close()
        self.publisher.close()


class BulkPublisher:
    """League tops and team totals: changed-only, at most one round per interval per meeting."""

    def __init__(self, publisher: Publisher, options: MqttOutputOptions) -> None:
        self.publisher = publisher
        self.options = options
        self._pending: dict[int, ScoredWindow] = {}
        self._last_tops: dict[int, docs.LeagueTops] = {}
        self._last_teams: dict[int, TeamScores] = {}
        self._rate = RateLimit(options.bulk_max_rate)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="mqtt-bulk", daemon=True)
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
        self._closing = True
        self._wake.set()
        self._thread.join(60)

    def _run(self) -> None:
        closing = False
        while not closing:
            self._wake.wait(self.options.bulk_interval_s)
            self._wake.clear()
            closing = self._closing
            with self._lock:
                pending, self._pending = self._pending, {}
            for window in pending.values():
                try:
                    self._publish(window)
                except Exception:
                    log.exception(
                        "publishing league and team topics of meeting %d", window.weekend.meeting_key
                    )

    def _publish(self, window: ScoredWindow) -> None:
        teams = window.teams
        assert teams is not None
        meeting = window.weekend.meeting_key
        session_key = window.weekend.session.points.session_key
        prefix = self.options.prefix
        sent = 0
        if self.options.league_top_n > 0:
            tops = docs.league_tops(teams, self.options.league_top_n)
            for row in np.flatnonzero(tops.changed_since(self._last_tops.get(meeting))).tolist():
                self._rate.wait()
                document = tops.document(row, meeting, session_key)
                self.publisher.publish(
                    docs.league_topic(prefix, meeting, document["league_id"]), docs.encode(document)
                )
                sent += 1
            self._last_tops[meeting] = tops
        if self.options.team_topics:
            for slot in docs.changed_team_slots(self._last_teams.get(meeting), teams).tolist():
                self._rate.wait()
                document = docs.team_document(teams, slot, meeting, session_key)
                self.publisher.publish(
                    docs.team_topic(prefix, meeting, document["team_id"]), docs.encode(document)
                )
                sent += 1
            self._last_teams[meeting] = teams
        log.debug("meeting %d: %d league and team messages", meeting, sent)


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
