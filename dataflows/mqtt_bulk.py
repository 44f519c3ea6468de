"""The engine's child process for league tops and team totals on MQTT.

It receives, down a pipe, each meeting's teams and leagues (when they change) and rounds of every
team's total and rank, sorts every league, and publishes the tops (and team totals, if asked)
that changed since they were last published, at most `bulk_max_rate` a second and at most what
that rate allows in one interval a round (`MqttOutputOptions.round_cap`): changes beyond the cap
wait for the next rounds, taken in turn from where the last round stopped, so every league's top
goes out in time and a round never outlasts its interval. Its Python work (tens of thousands of small
documents and publishes a round) holds this process's GIL, not the flow's, and it runs at a lower CPU
priority: on busy cores, league tops wait, the live path does not. On stop (the engine sets an event
and says so down the pipe) the round in progress is abandoned, in the log, and the process exits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

import msgspec
import numpy as np
import numpy.typing as npt

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
FLUSH_S = 5.0  # on exit, the broker's acknowledgements of what was sent are waited for this long


class BulkRounds:
    """League tops and team totals: what changed since it was last published, a capped round at a time."""

    def __init__(
        self, publisher: Publisher, options: MqttOutputOptions, stopping: Callable[[], bool] = lambda: False
    ) -> None:
        self.publisher = publisher
        self.options = options
        self.stopping = stopping
        self._tops: dict[int, docs.LeagueTops] = {}  # as published, per meeting
        self._teams: dict[int, docs.PublishedTeams] = {}
        self._cursor: dict[tuple[str, int], int] = {}  # where the last capped round stopped
        self._rate = RateLimit(options.bulk_max_rate)

    def publish(self, meeting: int, session_key: int, teams: TeamScores) -> int:
        """One round; returns the messages sent (fewer than due when the process is told to stop)."""
        prefix = self.options.prefix
        budget = self.options.round_cap
        sent = due = 0
        if self.options.league_top_n > 0:
            tops = docs.league_tops(teams, self.options.league_top_n)
            published = self._tops.get(meeting)
            if published is None or not np.array_equal(published.leagues, tops.leagues):
                published = self._tops[meeting] = tops.unpublished()
            rows = self._in_turn("leagues", meeting, np.flatnonzero(tops.changed_since(published)), budget)
            due += rows.size
            for document in docs.league_documents(tops, rows, meeting, session_key):
                if self.stopping():
                    return self._abandoned(meeting, sent, due)
                self._rate.wait()
                self.publisher.publish(
                    docs.league_topic(prefix, meeting, document["league_id"]), encode(document)
                )
                sent += 1
            published.mark(rows, tops)
        if self.options.team_topics:
            shown = self._teams.get(meeting)
            if shown is None or shown.totals.size != teams.totals.size:
                shown = self._teams[meeting] = docs.PublishedTeams.nothing(teams.totals.size)
            left = None if budget is None else budget - sent
            slots = self._in_turn("teams", meeting, shown.changed(teams), left)
            due += slots.size
            for slot in slots.tolist():
                if self.stopping():
                    return self._abandoned(meeting, sent, due)
                self._rate.wait()
                document = docs.team_document(teams, slot, meeting, session_key)
                self.publisher.publish(
                    docs.team_topic(prefix, meeting, document["team_id"]), docs.encode(document)
                )
                sent += 1
            shown.mark(slots, teams)
        return sent

    def _in_turn(
        self, kind: str, meeting: int, changed: npt.NDArray[np.int64], budget: int | None
    ) -> npt.NDArray[np.int64]:
        """All of `changed` within the budget; else `budget` of them from where the last round stopped,
        wrapping around, so that every change is published within a few rounds."""
        if budget is None or changed.size <= budget:
            return changed
        start = int(np.searchsorted(changed, self._cursor.get((kind, meeting), 0)))
        taken = np.concatenate([changed[start:], changed[:start]])[: max(budget, 0)]
        if taken.size:
            self._cursor[(kind, meeting)] = int(taken[-1]) + 1
        log.debug(
            "meeting %d: %d of %d changed %s this round (cap %d a round), the rest in the next ones",
            meeting,
            taken.size,
            changed.size,
            kind,
            budget,
        )
        return taken

    def _abandoned(self, meeting: int, sent: int, due: int) -> int:
        log.info(
            "stopping: the round of league and team topics of meeting %d abandoned after %d of %d messages",
            meeting,
            sent,
            due,
        )
        return sent


def serve(
    broker: BrokerConfig,
    options: MqttOutputOptions,
    inbox: Connection,
    log_level: str = "INFO",
    stopping: Event | None = None,
) -> None:
    """The child's loop: until told to stop (`stopping` set, then "stop" down the pipe), or the engine
    goes (its end of the pipe closes). A round in progress when `stopping` is set is abandoned."""
    configure_logging(log_level, "text")
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    publisher = Publisher(broker)
    told = stopping.is_set if stopping is not None else (lambda: False)
    rounds = BulkRounds(publisher, options, told)
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
            if told():
                log.info("stopping: a round of meeting %d not started", meeting)
                continue
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
        publisher.flush(FLUSH_S)
        publisher.close(FLUSH_S)


def _int32(array: Int32Array) -> Int32Array:
    return np.ascontiguousarray(array, dtype=np.int32)
