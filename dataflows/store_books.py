"""Teams for the live flow: each meeting's rosters loaded from Postgres when the meeting first appears."""

from __future__ import annotations

import logging
import time

import psycopg

from scoring.rules import TeamRules
from scoring.teams import TeamBook
from store.teams import load_book
from store.urls import libpq_url

log = logging.getLogger(__name__)


class StoreTeamBooks:
    """A TeamBookProvider that loads lazily and caches; a meeting with no rosters yet is asked again
    after `retry_after_s` (teams may be stored after the engine started), never on every window."""

    def __init__(self, database_url: str, rules: TeamRules, retry_after_s: float = 60.0) -> None:
        self.conninfo = libpq_url(database_url)
        self.rules = rules
        self.retry_after_s = retry_after_s
        self._books: dict[int, TeamBook] = {}
        self._missing_since: dict[int, float] = {}

    def forget(self, meeting_key: int) -> None:
        """Read the meeting's rosters again on the next call (a Final Fix changed some)."""
        self._books.pop(meeting_key, None)
        self._missing_since.pop(meeting_key, None)

    def __call__(self, meeting_key: int) -> TeamBook | None:
        book = self._books.get(meeting_key)
        if book is not None:
            return book
        asked = self._missing_since.get(meeting_key)
        if asked is not None and time.monotonic() - asked < self.retry_after_s:
            return None
        started = time.perf_counter()
        try:
            with psycopg.connect(self.conninfo) as conn:
                book = load_book(
                    conn, meeting_key, self.rules.boost_multiplier, self.rules.extra_drs_multiplier
                )
        except psycopg.OperationalError as exc:
            log.warning("teams of meeting %d not loaded (%s); retrying later", meeting_key, exc)
            book = None
        if book is None:
            self._missing_since[meeting_key] = time.monotonic()
            log.info("meeting %d has no stored teams yet", meeting_key)
            return None
        self._books[meeting_key] = book
        self._missing_since.pop(meeting_key, None)
        log.info(
            "loaded %d teams of meeting %d in %.2f s", book.size, meeting_key, time.perf_counter() - started
        )
        return book
