"""Teams for a sharded flow (FlowConfig.shards > 1): each shard's rosters and league memberships,
and the weekend's league table.

A process holds the rosters and memberships of the shards its workers own, nothing more, and the
weekend's league table (a few numbers per league: its size and where its members start): with P
processes, a weekend's teams are spread over them. Read in line on first use, as a replay's books
are (dataflows/store_books.py), so that every window is scored with the teams.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Protocol, runtime_checkable

import numpy as np
import polars as pl
import psycopg

from dataflows.scoring_steps import ReloadableBooks, TeamBookProvider
from scoring.rules import TeamRules
from scoring.shards import LeagueTable, shard_bounds
from scoring.teams import TeamBook
from store.teams import count_members, count_teams, load_book_slots, load_final_fixes, patch_book
from store.urls import libpq_url

log = logging.getLogger(__name__)


@runtime_checkable
class ShardBooks(Protocol):
    """Where a sharded flow's teams come from."""

    def shard(self, meeting_key: int, shard: int, shards: int, final: bool = False) -> TeamBook | None:
        """The rosters of the shard's slots and their league memberships (slots from 0 at the
        shard's first), or None when the shard has no teams; `final`: to score a classification
        with (every Final Fix in)."""
        ...

    def start(self, meeting_key: int, shard: int, shards: int) -> int:
        """The weekend's slot of the shard's first team."""
        ...

    def leagues(self, meeting_key: int, shards: int) -> LeagueTable | None:
        """The weekend's leagues in `shards` league groups, or None when it has no teams."""
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
        self._tables: dict[tuple[int, int], tuple[TeamBook, LeagueTable]] = {}
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
        if stop <= start:
            return None
        part = book.take(np.arange(start, stop, dtype=np.intp))
        mine = (book.member_slot >= start) & (book.member_slot < stop)
        part = replace(
            part, member_league=book.member_league[mine], member_slot=book.member_slot[mine] - start
        )
        self._slices[(meeting_key, shard, shards)] = (book, part)
        return part

    def start(self, meeting_key: int, shard: int, shards: int) -> int:
        book = self.books(meeting_key)
        return 0 if book is None else shard_bounds(book.size, shards, shard)[0]

    def leagues(self, meeting_key: int, shards: int) -> LeagueTable | None:
        book = self.books(meeting_key)
        if book is None:
            return None
        held = self._tables.get((meeting_key, shards))
        if held is None or held[0].member_league is not book.member_league:
            held = (book, LeagueTable.of_book(book, shards))
            self._tables[(meeting_key, shards)] = held
        return held[1]

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
        self._sizes: dict[int, int] = {}
        self._tables: dict[tuple[int, int], LeagueTable | None] = {}
        self._lock = threading.Lock()  # workers of one process share the books

    def shard(self, meeting_key: int, shard: int, shards: int, final: bool = False) -> TeamBook | None:
        key = (meeting_key, shard, shards)  # `final`: the Final Fixes are in since the Race started
        with self._lock:
            if key not in self._shards:
                self._shards[key] = self._load_shard(meeting_key, shard, shards)
            return self._shards[key]

    def start(self, meeting_key: int, shard: int, shards: int) -> int:
        return shard_bounds(self._size(meeting_key), shards, shard)[0]

    def leagues(self, meeting_key: int, shards: int) -> LeagueTable | None:
        with self._lock:
            if (meeting_key, shards) not in self._tables:
                size = self._size_locked(meeting_key)
                table = None
                if size:
                    with psycopg.connect(self.conninfo) as conn:
                        leagues, counts = count_members(conn, meeting_key)
                    table = LeagueTable.of(leagues, counts, size, shards)
                self._tables[(meeting_key, shards)] = table
            return self._tables[(meeting_key, shards)]

    def _size(self, meeting_key: int) -> int:
        with self._lock:
            return self._size_locked(meeting_key)

    def _size_locked(self, meeting_key: int) -> int:
        if meeting_key not in self._sizes:
            with psycopg.connect(self.conninfo) as conn:
                self._sizes[meeting_key] = count_teams(conn, meeting_key)
        return self._sizes[meeting_key]

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
        """What this process holds: its shards ("meeting:shard")."""
        with self._lock:
            return {
                "shards": sorted(f"{m}:{s}" for (m, s, _), book in self._shards.items() if book is not None)
            }

    def _load_shard(self, meeting_key: int, shard: int, shards: int) -> TeamBook | None:
        started = time.perf_counter()
        start, stop = shard_bounds(self._size_locked(meeting_key), shards, shard)
        if stop <= start:
            return None
        with psycopg.connect(self.conninfo) as conn:
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
