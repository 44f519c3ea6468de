"""Teams for the flow: each meeting's rosters from Postgres, as TeamBooks.

A million rosters take seconds to read, so the live engine never reads them on the flow's path:
it loads the weekends in play when it starts (`preload`), and a meeting it meets without a book
on a thread of its own; windows go on without teams meanwhile, and the book is swapped in whole
(one assignment) when it is ready. At the Race, only the Final Fix teams are read again and
patched into the book. A replay (or a cluster process) loads on first use, in line, so that
every window is scored with the teams.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all

import psycopg

from scoring.rules import TeamRules
from scoring.teams import TeamBook, prepare_standings
from store.teams import load_book, load_final_fixes, patch_book
from store.urls import libpq_url

log = logging.getLogger(__name__)

# Meetings with rosters whose Race is not final yet, newest first: the weekends in play.
IN_PLAY = """
WITH RECURSIVE m(k) AS (
  SELECT min(meeting_key) FROM roster
  UNION ALL SELECT (SELECT min(meeting_key) FROM roster WHERE meeting_key > m.k) FROM m WHERE m.k IS NOT NULL
)
SELECT k FROM m WHERE k IS NOT NULL AND NOT EXISTS (
  SELECT 1 FROM race_session s WHERE s.meeting_key = m.k AND s.name = 'Race' AND s.state = 'final'
) ORDER BY k DESC LIMIT %s
"""

OnLoaded = Callable[[int, TeamBook], None]


class StoreTeamBooks:
    """A TeamBookProvider over Postgres.

    `background`: never read on the caller's thread (live); a meeting with no book yet is
    requested and None returned until it is in. Otherwise (replay) the first call reads in line.
    A meeting with no rosters yet is asked again after `retry_after_s` (teams may be locked after
    the engine started), never on every window. `on_loaded` runs on the loading thread before a
    book is swapped in (the live engine publishes its Redis index there). At most `max_books`
    weekends are held (the least recently used goes)."""

    def __init__(
        self,
        database_url: str,
        rules: TeamRules,
        retry_after_s: float = 60.0,
        background: bool = False,
        on_loaded: OnLoaded | None = None,
        max_books: int = 4,
    ) -> None:
        self.conninfo = libpq_url(database_url)
        self.rules = rules
        self.retry_after_s = retry_after_s
        self.background = background
        self.on_loaded = on_loaded
        self.max_books = max_books
        self._books: OrderedDict[int, TeamBook] = OrderedDict()
        self._missing_since: dict[int, float] = {}
        self._jobs: dict[int, Future[TeamBook | None]] = {}
        self._lock = threading.Lock()
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rosters")

    def __call__(self, meeting_key: int) -> TeamBook | None:
        with self._lock:
            book = self._books.get(meeting_key)
            if book is not None:
                self._books.move_to_end(meeting_key)
                return book
        asked = self._missing_since.get(meeting_key)
        if asked is not None and time.monotonic() - asked < self.retry_after_s:
            return None
        if self.background:
            self._submit(meeting_key, self._load)
            return None
        return self._load(meeting_key)

    def preload(self, limit: int = 2) -> list[int]:
        """Start loading the weekends in play (rosters locked, Race not final), newest first."""
        try:
            with psycopg.connect(self.conninfo) as conn:
                meetings = [int(r[0]) for r in conn.execute(IN_PLAY, (limit,)).fetchall()]
        except psycopg.Error as exc:
            log.warning("weekends in play not found (%s); their teams load when they appear", exc)
            return []
        for meeting in meetings:
            self._submit(meeting, self._load)
        if meetings:
            log.info("loading the teams of meetings %s before their windows", meetings)
        return meetings

    def reload(self, meeting_key: int) -> None:
        """Read the meeting's Final Fixes again and patch them in, in the background: the rosters
        held so far serve until the patched book is in."""
        self._missing_since.pop(meeting_key, None)
        if meeting_key not in self._books and meeting_key not in self._jobs:
            return  # never loaded: the next call loads the rosters as they are now
        self._submit(meeting_key, self._patch, force=True)

    def wait_for_reloads(self, timeout_s: float = 60.0) -> None:
        """Block until the loads and patches started so far are done (finals, tests, a clean stop)."""
        with self._lock:
            pending = list(self._jobs.values())
        wait_all(pending, timeout=timeout_s)

    def book_for_final(self, meeting_key: int) -> TeamBook | None:
        """The book to write a classification with: after any load or patch under way, read in
        line if there is none yet (a final result is never written without its teams)."""
        self.wait_for_reloads()
        book = self._books.get(meeting_key)
        return book if book is not None else self._load(meeting_key)

    def close(self) -> None:
        self._loader.shutdown(wait=False, cancel_futures=True)

    def _submit(self, meeting_key: int, job: Callable[[int], TeamBook | None], force: bool = False) -> None:
        with self._lock:
            running = self._jobs.get(meeting_key)
            if running is not None and not running.done() and not force:
                return
            future = self._loader.submit(job, meeting_key)
            self._jobs[meeting_key] = future
        future.add_done_callback(self._forget_job)

    def _forget_job(self, future: Future[TeamBook | None]) -> None:
        with self._lock:
            for meeting_key, job in list(self._jobs.items()):
                if job is future:
                    del self._jobs[meeting_key]

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
        self._swap_in(meeting_key, book)
        log.info(
            "loaded %d teams of meeting %d in %.2f s", book.size, meeting_key, time.perf_counter() - started
        )
        return book

    def _patch(self, meeting_key: int) -> TeamBook | None:
        book = self._books.get(meeting_key)
        if book is None:
            return self._load(meeting_key)
        started = time.perf_counter()
        try:
            with psycopg.connect(self.conninfo) as conn:
                fixes = load_final_fixes(conn, meeting_key)
        except psycopg.OperationalError as exc:
            log.warning("Final Fixes of meeting %d not read (%s); the rosters so far stay", meeting_key, exc)
            return book
        patched = patch_book(book, fixes, self.rules.boost_multiplier, self.rules.extra_drs_multiplier)
        if patched is None:  # a team the book did not hold: read the whole weekend again
            return self._load(meeting_key)
        self._swap_in(meeting_key, patched)
        log.info(
            "patched %d Final Fix teams into meeting %d in %.3f s",
            fixes.height,
            meeting_key,
            time.perf_counter() - started,
        )
        return patched

    def _swap_in(self, meeting_key: int, book: TeamBook) -> None:
        prepare_standings(book, like=self._books.get(meeting_key))  # here, not in the first window
        if self.on_loaded is not None:
            self.on_loaded(meeting_key, book)
        with self._lock:  # one assignment: a reader sees the old book or the new one
            self._books[meeting_key] = book
            self._books.move_to_end(meeting_key)
            self._missing_since.pop(meeting_key, None)
            evicted = [self._books.popitem(last=False)[0] for _ in range(len(self._books) - self.max_books)]
        for evicted_key in evicted:
            log.info("teams of meeting %d let go (at most %d weekends held)", evicted_key, self.max_books)
