"""The engine's child process for league tops and team totals on MQTT.

It receives, down a pipe, each meeting's teams and leagues (when they change) and rounds of every
team's total and rank, sorts every league, and publishes the tops (and team totals, if asked)
that changed since its last round, at most `bulk_max_rate` a second. Its Python work (tens of
thousands of small documents and publishes a round) holds this process's GIL, not the flow's, and
it runs at a lower CPU priority: on busy cores, league tops wait, the live path does not.
"""

from __future__ import annotations

import logging
import os
from multiprocessing.connection import Connection

import msgspec
import numpy as np

from dataflows import mqtt_documents as docs
from dataflows.mqtt_options import MqttOutputOptions
from gridscore.base.logs import configure_logging
from ingest.broker import BrokerConfig, Publisher
from ingest.publish import RateLimit
from scoring.outcomes import TeamScores
from scoring.teams import Int32Array, TeamBook

log = logging.getLogger(__name__)
encode = msgspec.json.Encoder().encode  # the compact JSON of mqtt_documents.encode, several times faster
NICENESS = 5  # below the engine: when the cores are busy, the flow and its writers go first


class BulkRounds:
    """League tops and team totals: what changed since the last round of each meeting."""

    def __init__(self, publisher: Publisher, options: MqttOutputOptions) -> None:
        self.publisher = publisher
        self.options = options
        self._last_tops: dict[int, docs.LeagueTops] = {}
        self._last_teams: dict[int, TeamScores] = {}
        self._rate = RateLimit(options.bulk_max_rate)

    def publish(self, meeting: int, session_key: int, teams: TeamScores) -> int:
        prefix = self.options.prefix
        sent = 0
        if self.options.league_top_n > 0:
            tops = docs.league_tops(teams, self.options.league_top_n)
            rows = np.flatnonzero(tops.changed_since(self._last_tops.get(meeting)))
            for document in docs.league_documents(tops, rows, meeting, session_key):
                self._rate.wait()
                self.publisher.publish(
                    docs.league_topic(prefix, meeting, document["league_id"]), encode(document)
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
        return sent


def serve(
    broker: BrokerConfig, options: MqttOutputOptions, inbox: Connection, log_level: str = "INFO"
) -> None:
    """The child's loop: until told to stop, or the engine goes (its end of the pipe closes)."""
    configure_logging(log_level, "text")
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    publisher = Publisher(broker)
    rounds = BulkRounds(publisher, options)
    books: dict[int, TeamBook] = {}
    try:
        while True:
            try:
                message = inbox.recv()
            except EOFError:
                break
            if message[0] == "stop":
                break
            if message[0] == "book":
                _, meeting, book = message
                books[meeting] = book
                continue
            _, meeting, session_key, totals, ranks = message
            book = books.get(meeting)
            if book is None or book.size != totals.size:
                log.warning("round of meeting %d without its teams: skipped", meeting)
                continue
            try:
                sent = rounds.publish(meeting, session_key, TeamScores(book, _int32(totals), _int32(ranks)))
            except Exception:
                log.exception("publishing league and team topics of meeting %d", meeting)
                continue
            log.debug("meeting %d: %d league and team messages", meeting, sent)
    finally:
        publisher.flush(30)
        publisher.close()


def _int32(array: Int32Array) -> Int32Array:
    return np.ascontiguousarray(array, dtype=np.int32)
