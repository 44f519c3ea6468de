"""Teams for the live flow: each meeting's rosters loaded from Postgres when the meeting first appears."""

from __future__ import annotations

import logging
import threading
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
        self._reloads: list[threading.Thread] = []

    def reload(self, meeting_key: int) -> None:
        """Read the meeting's rosters again (a Final Fix changed some) on a thread of its own: a
        million rosters take seconds to load, and the Race's first windows must not wait for them.
        The rosters held so far serve until the new ones are in."""
        self._missing_since.pop(meeting_key, None)
        if meeting_key not in self._books:
            return  # never loaded: the next call loads them
        thread = threading.Thread(target=self._load, args=(meeting_key,), name=f"rosters-{meeting_key}")
        thread.daemon = True
        thread.start()
        self._reloads.append(thread)

    def wait_for_reloads(self, timeout_s: float = 60.0) -> None:
        """Block until the reloads started so far are done (tests, and a clean stop)."""
        for thread in self._reloads:
            thread.join(timeout_s)

    def __call__(self, meeting_key: int) -> TeamBook | None:
        book = self._books.get(meeting_key)
        if book is not None:
            return book
        asked = self._missing_since.get(meeting_key)
        if asked is not None and time.monotonic() - asked < self.retry_after_s:
            return None
        return self._load(meeting_key)

    def _load(self, meeting_key: int) -> TeamBook | None:
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
            if meeting_key not in self._books:
                self._missing_since[meeting_key] = time.monotonic()
                log.info("meeting %d has no stored teams yet", meeting_key)
            return None
        self._books[meeting_key] = book  # one assignment: a reader sees the old book or the new one
        self._missing_since.pop(meeting_key, None)
        log.info(
            "loaded %d teams of meeting %d in %.2f s", book.size, meeting_key, time.perf_counter() - started
        )
        return book
