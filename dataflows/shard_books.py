"""Teams for a sharded flow (FlowConfig.shards > 1): each shard's rosters, and the weekend's index.

A process holds the rosters of the shards its workers own, nothing more, and the index (team ids
and league memberships, no rosters) of the meetings whose merge it owns: with P processes, a
weekend's rosters are spread over them. Read in line on first use, as a replay's books are
(dataflows/store_books.py), so that every window is scored with the teams.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol, runtime_checkable

import numpy as np
import polars as pl
import psycopg

from dataflows.scoring_steps import ReloadableBooks, TeamBookProvider
from scoring.rules import TeamRules
from scoring.shards import shard_bounds
from scoring.teams import TeamBook
from store.teams import count_teams, load_book_slots, load_final_fixes, load_index, patch_book
from store.urls import libpq_url

log = logging.getLogger(__name__)


@runtime_checkable
class ShardBooks(Protocol):
    """Where a sharded flow's teams come from."""

    def shard(self, meeting_key: int, shard: int, shards: int, final: bool = False) -> TeamBook | None:
        """The rosters of the shard's slots (no leagues), or None when the weekend has no teams;
        `final`: to score a classification with (every Final Fix in)."""
        ...

    def index(self, meeting_key: int) -> TeamBook | None:
        """Every team of the weekend and its league memberships, without rosters."""
        ...

    def race_started(self, meeting_key: int, shard: int, shards: int) -> None:
        """The weekend's Race has its first window: rosters may have changed (Final Fix)."""
        ...


class SlicedBooks:
    """Shards cut from whole books (a book in memory: `gridscore score`, the benchmarks, tests; or
    the store's whole books, StoreTeamBooks, told to read the Final Fixes again at the Race and
    asked for the book a classification is scored with, as the unsharded flow does)."""

    def __init__(self, books: TeamBookProvider) -> None:
        self.books = books
        self._slices: dict[tuple[int, int, int], tuple[TeamBook, TeamBook]] = {}
        self._races: set[int] = set()

    def shard(self, meeting_key: int, shard: int, shards: int, final: bool = False) -> TeamBook | None:
        books = self.books
        book = (
            books.book_for_final(meeting_key)
            if final and isinstance(books, ReloadableBooks)
            else books(meeting_key)
        )
        if book is None:
            return None
        held = self._slices.get((meeting_key, shard, shards))
        if held is not None and held[0] is book:
            return held[1]
        start, stop = shard_bounds(book.size, shards, shard)
        part = book.take(np.arange(start, stop, dtype=np.intp))
        self._slices[(meeting_key, shard, shards)] = (book, part)
        return part

    def index(self, meeting_key: int) -> TeamBook | None:
        return self.books(meeting_key)

    def race_started(self, meeting_key: int, shard: int, shards: int) -> None:
        if isinstance(self.books, ReloadableBooks) and meeting_key not in self._races:
            self._races.add(meeting_key)  # once for every shard of this process
            self.books.reload(meeting_key)


class StoreShardBooks:
    """Shards and indexes read from Postgres: a shard reads its slots' rosters alone, and at the
    Race's first window patches in the Final Fixes of its teams (in line: the Race's windows, its
    classification first of all, are then scored with them)."""

    def __init__(self, database_url: str, rules: TeamRules) -> None:
        self.conninfo = libpq_url(database_url)
        self.rules = rules
        self._shards: dict[tuple[int, int, int], TeamBook | None] = {}
        self._indexes: dict[int, TeamBook | None] = {}
        self._lock = threading.Lock()  # workers of one process share the books

    def shard(self, meeting_key: int, shard: int, shards: int, final: bool = False) -> TeamBook | None:
        key = (meeting_key, shard, shards)  # `final`: the Final Fixes are in since the Race started
        with self._lock:
            if key not in self._shards:
                self._shards[key] = self._load_shard(meeting_key, shard, shards)
            return self._shards[key]

    def index(self, meeting_key: int) -> TeamBook | None:
        with self._lock:
            if meeting_key not in self._indexes:
                with psycopg.connect(self.conninfo) as conn:
                    self._indexes[meeting_key] = load_index(conn, meeting_key)
            return self._indexes[meeting_key]

    def race_started(self, meeting_key: int, shard: int, shards: int) -> None:
        book = self.shard(meeting_key, shard, shards)
        if book is None:
            return
        with psycopg.connect(self.conninfo) as conn:
            fixes = load_final_fixes(conn, meeting_key)
        first, last = int(book.team_ids[0]), int(book.team_ids[-1])
        own = fixes.filter(pl.col("team_id").is_between(first, last))
        patched = patch_book(book, own, self.rules.boost_multiplier, self.rules.extra_drs_multiplier)
        with self._lock:
            if patched is None:  # a team the shard did not hold: read its slots again
                self._shards[(meeting_key, shard, shards)] = self._load_shard(meeting_key, shard, shards)
            else:
                self._shards[(meeting_key, shard, shards)] = patched

    def held(self) -> dict[str, list[str]]:
        """What this process holds: its shards ("meeting:shard") and weekend indexes (meetings)."""
        with self._lock:
            return {
                "shards": sorted(f"{m}:{s}" for (m, s, _), book in self._shards.items() if book is not None),
                "indexes": sorted(str(m) for m, index in self._indexes.items() if index is not None),
            }

    def _load_shard(self, meeting_key: int, shard: int, shards: int) -> TeamBook | None:
        started = time.perf_counter()
        with psycopg.connect(self.conninfo) as conn:
            start, stop = shard_bounds(count_teams(conn, meeting_key), shards, shard)
            if stop <= start:
                return None
            book = load_book_slots(
                conn,
                meeting_key,
                start,
                stop,
                self.rules.boost_multiplier,
                self.rules.extra_drs_multiplier,
            )
        log.info(
            "loaded shard %d/%d of meeting %d (slots %d-%d) in %.2f s",
            shard,
            shards,
            meeting_key,
            start,
            stop,
            time.perf_counter() - started,
        )
        return book


def shard_books(books: TeamBookProvider | ShardBooks) -> ShardBooks:
    """Books a sharded flow can read: as they are, or shards cut from whole books."""
    return books if isinstance(books, ShardBooks) else SlicedBooks(books)
