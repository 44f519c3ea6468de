"""A weekend's teams split into K shards by team slot, and the shards' results put back together.

Each shard scores a contiguous range of slots (teams ordered by id) from the weekend's asset
points, with the same TeamBook arithmetic as one book of every team. What a team's rank needs of
the others is only how many scored more: each shard sends a histogram of its totals (a count per
points value, a few hundred numbers however many teams), and the merged histogram ranks every
team exactly as `competition_ranks` over all of them would. Pure: no I/O, no flow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.outcomes import FinalTeams, TeamScores
from scoring.teams import Int32Array, TeamBook
from scoring.weekend import WeekendUpdate


def shard_bounds(size: int, shards: int, shard: int) -> tuple[int, int]:
    """Slots [start, stop) of `shard` of `shards` over `size` teams: contiguous, in order, sizes
    differing by one at most (shard 0 first), so the shards laid end to end are the whole book."""
    return shard * size // shards, (shard + 1) * size // shards


@dataclass(frozen=True, slots=True)
class PointsHistogram:
    """How many teams have each total: counts[i] teams scored low + i points."""

    low: int
    counts: npt.NDArray[np.int64]

    @classmethod
    def of(cls, totals: Int32Array) -> PointsHistogram:
        if totals.size == 0:
            return cls(0, np.zeros(0, dtype=np.int64))
        low = int(totals.min())
        return cls(low, np.bincount(totals.astype(np.int64) - low).astype(np.int64))

    @classmethod
    def merged(cls, parts: Sequence[PointsHistogram]) -> PointsHistogram:
        """The histogram of every part's teams together."""
        present = [p for p in parts if p.counts.size]
        if not present:
            return cls(0, np.zeros(0, dtype=np.int64))
        low = min(p.low for p in present)
        high = max(p.low + p.counts.size for p in present)
        counts = np.zeros(high - low, dtype=np.int64)
        for part in present:
            counts[part.low - low : part.low - low + part.counts.size] += part.counts
        return cls(low, counts)

    def ranks(self, totals: Int32Array) -> Int32Array:
        """Rank of each of `totals` among every team counted: 1 + the teams with strictly more."""
        if totals.size == 0:
            return np.zeros(0, dtype=np.int32)
        higher = np.cumsum(self.counts[::-1])[::-1] - self.counts
        return (higher[totals.astype(np.int64) - self.low] + 1).astype(np.int32)


@dataclass(frozen=True, slots=True)
class ShardPart:
    """One shard's result for one window of a meeting (the `seq`-th the meeting's fan-out sent):
    its teams' weekend totals and their histogram; for a window that classifies a session, its
    teams' points in that session and their weekend totals as of it (FinalTeams), with theirs."""

    meeting_key: int
    shard: int
    seq: int
    update: WeekendUpdate
    totals: Int32Array | None = None  # None: the meeting has no teams
    histogram: PointsHistogram | None = None
    final_session: Int32Array | None = None
    final_weekend: Int32Array | None = None
    final_histogram: PointsHistogram | None = None
    # The shard's teams and the weekend's asset points are those of its previous part (a window
    # that moved only a running order): when every shard says so, the merge reuses its last window.
    unchanged: bool = False


def score_shard(book: TeamBook | None, shard: int, seq: int, update: WeekendUpdate) -> ShardPart:
    """A shard's teams scored from the window's weekend points (the shard's `book` holds its slots)."""
    if book is None or book.size == 0:
        return ShardPart(update.meeting_key, shard, seq, update)
    teams = TeamScores(book, weekend=update)
    totals = teams.totals
    part = ShardPart(update.meeting_key, shard, seq, update, totals, PointsHistogram.of(totals))
    if not update.session.newly_final:
        return part
    final = FinalTeams(teams, update)
    as_of = final.weekend_points
    return ShardPart(
        update.meeting_key,
        shard,
        seq,
        update,
        totals,
        part.histogram,
        final.session_points,
        as_of,
        PointsHistogram.of(as_of),
    )


class MergedScores(TeamScores):
    """Every team's total and rank for one window, from its shards' parts (in shard order, each with
    teams), merged on first use by whichever thread asks first, as TeamScores scores one book: the
    merge hands a window on at once, the live writer's thread lays the totals end to end and ranks
    them from the merged histograms, and a window overtaken before anyone asks holds its parts'
    totals alone (what a burst of windows holds at a race's end). League standings are sorted
    over `index` (every team and league membership, no rosters)."""

    def __init__(self, index: TeamBook, parts: Sequence[ShardPart]) -> None:
        super().__init__(index, weekend=parts[0].update)
        self._part_totals: list[Int32Array] = [p.totals for p in parts if p.totals is not None]
        self._histograms = [p.histogram for p in parts if p.histogram is not None]

    def _compute_totals(self) -> Int32Array:
        totals = _joined(self._part_totals)
        self._part_totals = []  # merged: the parts' copies go
        return totals

    def _compute_ranks(self) -> Int32Array:
        return PointsHistogram.merged(self._histograms).ranks(self.totals)


def final_rows(parts: Sequence[ShardPart]) -> tuple[Int32Array, Int32Array, Int32Array] | None:
    """A classification's team rows (session points, weekend points and ranks as of the session)
    from the parts of its window, in shard order; None unless every part with teams carries them."""
    held = [p for p in parts if p.totals is not None]
    if not held or any(p.final_weekend is None for p in held):
        return None
    as_of = _joined([p.final_weekend for p in held])
    as_of_ranks = PointsHistogram.merged(
        [p.final_histogram for p in held if p.final_histogram is not None]
    ).ranks(as_of)
    return _joined([p.final_session for p in held]), as_of, as_of_ranks


def _joined(arrays: Sequence[Int32Array | None]) -> Int32Array:
    present = [a for a in arrays if a is not None]
    return np.concatenate(present).astype(np.int32, copy=False) if present else np.zeros(0, dtype=np.int32)
