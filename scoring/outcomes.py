"""What the flow emits for a meeting after each window: the weekend's asset points and, when teams
are loaded, every team's total, rank and league standings (ScoredWindow). Pure data and
arithmetic: the store's writers and the benchmarks read these types from here, not from the flow."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from scoring.teams import (
    Int32Array,
    LeagueStandings,
    RankTable,
    TeamBook,
    competition_ranks,
    league_standings,
)
from scoring.weekend import WeekendUpdate, tally

T = TypeVar("T")


class Once(Generic[T]):
    """A value computed on first use by whichever thread asks first, then read as it is (or given
    outright): what lets the flow hand a window on without the arithmetic for a million teams."""

    def __init__(self, value: T | None = None) -> None:
        self._value = value
        self._lock = threading.Lock()

    def get(self, compute: Callable[[], T]) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = compute()
                value = self._value
        return value


class TeamScores:
    """Every team's total and global rank, and every league's standings, each computed once, on
    first use, by whichever thread asks first: the flow hands a window on without doing the
    arithmetic for a million teams, and the live writer's threads do it off the flow's path (a
    window overtaken before anyone asks costs nothing). Given outright, they are used as they are."""

    def __init__(
        self,
        book: TeamBook,
        totals: Int32Array | None = None,
        ranks: Int32Array | None = None,
        standings: LeagueStandings | None = None,
        *,
        weekend: WeekendUpdate | None = None,
    ) -> None:
        assert totals is not None or weekend is not None, "team totals, or the weekend they come from"
        self.book = book
        self.weekend = weekend
        self._totals, self._ranks, self._standings = Once(totals), Once(ranks), Once(standings)
        self._rank_table: Once[RankTable] = Once()

    @property
    def totals(self) -> Int32Array:
        return self._totals.get(self._compute_totals)

    @property
    def ranks(self) -> Int32Array:
        """Every team's rank, for those who need them one by one (a gather from the rank table)."""
        return self._ranks.get(self._compute_ranks)

    @property
    def rank_table(self) -> RankTable:
        """The rank of each total: what one process writes to Redis (a few KB, not a rank a team)."""
        return self._rank_table.get(lambda: RankTable.of(self.totals))

    @property
    def standings(self) -> LeagueStandings:
        return self._standings.get(lambda: league_standings(self.book, self.totals))

    def _compute_totals(self) -> Int32Array:
        weekend = self.weekend
        assert weekend is not None
        return self.book.totals(
            weekend.asset_points(),
            weekend.asset_positive_points(),
            before_race=weekend.asset_points_before_race(),
        )

    def _compute_ranks(self) -> Int32Array:
        return self.rank_table.rank_of(self.totals)


class FinalTeams:
    """A classified session's team rows as Postgres keeps them, each array computed once, on first
    use (by the final sink, off the live path), then read as they are:

    - `session_points`: every team's points in that session alone (no transfer penalty; an
      Autopilot boost on the driver best over the weekend as of the session);
    - `weekend_points` and `ranks`: its weekend total (penalty off) and rank as of that session, i.e.
      that session plus the ones that started before it, never a later one.

    Why as of the session: the weekend state holds the latest points of every session seen so far,
    so a session's final window also carries whatever a later session had scored when it closed.
    When that is depends on processing order, not on the results (a replay closes a qualifying window
    once the race is under way, a live engine at once, one restarted from its journal in the same
    batch as race windows): Postgres would hold different Qualifying weekend points and ranks, and
    owners be told them, for the same feed.

    `rows` given (session points, weekend points, ranks: a sharded weekend's, put together from its
    shards, scoring/shards.py) are used as they are."""

    def __init__(
        self,
        teams: TeamScores,
        weekend: WeekendUpdate,
        rows: tuple[Int32Array, Int32Array, Int32Array] | None = None,
    ) -> None:
        self.teams = teams
        self.weekend = weekend
        self._rows = Once(rows)

    @property
    def team_ids(self) -> npt.NDArray[np.int64]:
        return self.teams.book.team_ids

    @property
    def session_points(self) -> Int32Array:
        return self._computed()[0]

    @property
    def weekend_points(self) -> Int32Array:
        return self._computed()[1]

    @property
    def ranks(self) -> Int32Array:
        return self._computed()[2]

    def _computed(self) -> tuple[Int32Array, Int32Array, Int32Array]:
        return self._rows.get(self._compute)

    def _compute(self) -> tuple[Int32Array, Int32Array, Int32Array]:
        book, weekend = self.teams.book, self.weekend
        earlier = weekend.sessions_as_of(weekend.session)
        as_of = tally(earlier)
        if len(earlier) == len(weekend.sessions):  # nothing later yet: the weekend's own totals
            totals, ranks = self.teams.totals, self.teams.ranks
        else:
            totals = book.totals(
                as_of.asset_points(),
                as_of.asset_positive_points(),
                before_race=as_of.asset_points_before_race(),
            )
            ranks = competition_ranks(totals)
        own = tally([weekend.session])
        session = book.totals(
            own.asset_points(),
            own.asset_positive_points(),
            with_penalty=False,
            before_race=own.asset_points_before_race(),
            boost_from=as_of.asset_points(),
        )
        return session, totals, ranks


@dataclass(frozen=True, slots=True)
class ScoredWindow:
    """One window's outcome for a meeting: asset points and, when teams are loaded, every team's."""

    weekend: WeekendUpdate
    teams: TeamScores | None = None
    # The team rows Postgres keeps, when the window makes its session final (and teams are loaded).
    final: FinalTeams | None = field(default=None, compare=False)
    scored_at: datetime | None = field(default=None, compare=False)
    # perf_counter() when each part became readable in Redis: "totals" (every team's total and rank)
    # and "leagues" (every league's standings). Filled in by the live writer, read by benchmarks.
    visible_at: dict[str, float] = field(default_factory=dict, compare=False)
