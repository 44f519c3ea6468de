"""What the flow emits for a meeting after each window: the weekend's asset points and, when teams
are loaded, every team's total, rank and league standings (ScoredWindow). Pure data and
arithmetic: the store's writers and the benchmarks read these types from here, not from the flow."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from scoring.teams import Int32Array, LeagueStandings, TeamBook, competition_ranks, league_standings
from scoring.weekend import WeekendUpdate


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
        self._totals, self._ranks, self._standings = totals, ranks, standings
        self._locks = (threading.Lock(), threading.Lock(), threading.Lock())

    @property
    def totals(self) -> Int32Array:
        if self._totals is None:
            with self._locks[0]:
                if self._totals is None and self.weekend is not None:
                    weekend = self.weekend
                    self._totals = self.book.totals(
                        weekend.asset_points(),
                        weekend.asset_positive_points(),
                        before_race=weekend.asset_points_before_race(),
                    )
        assert self._totals is not None
        return self._totals

    @property
    def ranks(self) -> Int32Array:
        if self._ranks is None:
            with self._locks[1]:
                if self._ranks is None:
                    self._ranks = competition_ranks(self.totals)
        return self._ranks

    @property
    def standings(self) -> LeagueStandings:
        if self._standings is None:
            with self._locks[2]:
                if self._standings is None:
                    self._standings = league_standings(self.book, self.totals)
        return self._standings


@dataclass(frozen=True, slots=True)
class ScoredWindow:
    """One window's outcome for a meeting: asset points and, when teams are loaded, every team's."""

    weekend: WeekendUpdate
    teams: TeamScores | None = None
    scored_at: datetime | None = field(default=None, compare=False)
    # perf_counter() when each part became readable in Redis: "totals" (every team's total and rank)
    # and "leagues" (every league's standings). Filled in by the live writer, read by benchmarks.
    visible_at: dict[str, float] = field(default_factory=dict, compare=False)
