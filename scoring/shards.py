"""A weekend's teams split into K shards by team slot, each ranking its own teams and ordering its
own members of the leagues of every team, and league groups that order the other leagues.

Each shard scores a contiguous range of slots (teams ordered by id) from the weekend's asset
points, with the same TeamBook arithmetic as one book of every team. What a team's rank needs of
the others is only how many scored more: each shard's histogram of its totals (a count per points
value, a few hundred numbers however many teams) goes to every shard, and the merged histogram
ranks every team exactly as `competition_ranks` over all of them would. A league of every team is
ordered the same way: a team's place is the teams with more points plus those tied with it in
earlier shards (both counted from the histograms) plus its own shard's tied teams before it, so
each shard places its teams in runs of equal points. The other leagues are split into groups by
league id; each shard sends each group its members' totals, and the group orders its leagues as
`league_standings` over every team would. Nothing here is per team and whole: per shard, per
league group, or per league. Pure: no I/O, no flow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from scoring.outcomes import FinalTeams, TeamScores
from scoring.teams import Int32Array, IntArray, TeamBook, stable_order
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

    def count_at(self, totals: Int32Array) -> npt.NDArray[np.int64]:
        """How many teams counted scored each of `totals` (0 for a total outside the histogram)."""
        index = totals.astype(np.int64) - self.low
        inside = (index >= 0) & (index < self.counts.size)
        out = np.zeros(totals.size, dtype=np.int64)
        out[inside] = self.counts[index[inside]]
        return out

    def ranks(self, totals: Int32Array) -> Int32Array:
        """Rank of each of `totals` among every team counted: 1 + the teams with strictly more."""
        if totals.size == 0:
            return np.zeros(0, dtype=np.int32)
        higher = np.cumsum(self.counts[::-1])[::-1] - self.counts
        return (higher[totals.astype(np.int64) - self.low] + 1).astype(np.int32)


@dataclass(frozen=True, slots=True)
class LeagueTable:
    """The weekend's leagues, one number each, never one per member: ids ascending, sizes, where
    each one's members start in the league arrays (league_order, ranks, points: league by league in
    id order) and its group. A league of every team (`whole`) is ordered by the shards themselves;
    the others are split into `groups` runs of leagues by id, with about as many members each."""

    leagues: Int32Array
    starts: IntArray
    counts: IntArray
    teams: int
    group_of: IntArray  # the group of each league, -1 for a league of every team

    @classmethod
    def of(cls, leagues: Int32Array, counts: IntArray, teams: int, groups: int) -> LeagueTable:
        counts = counts.astype(np.int64)
        starts = np.cumsum(counts) - counts
        whole = counts == teams
        rest = np.where(whole, 0, counts)
        before = np.cumsum(rest) - rest  # members of the other leagues before each one
        total = max(int(rest.sum()), 1)
        group_of = np.where(whole, -1, before * groups // total).astype(np.int64)
        return cls(leagues.astype(np.int32), starts.astype(np.int64), counts, teams, group_of)

    @classmethod
    def of_book(cls, book: TeamBook, groups: int) -> LeagueTable:
        leagues, _, counts = book.league_segments()
        return cls.of(leagues, counts, book.size, groups)

    @property
    def whole_starts(self) -> list[int]:
        return [int(s) for s in self.starts[self.group_of < 0]]

    def group_runs(self, group: int) -> list[tuple[int, int]]:
        """[begin, end) of each run of the group's leagues in the league arrays."""
        mine = np.flatnonzero(self.group_of == group)
        runs: list[tuple[int, int]] = []
        for i in mine.tolist():
            begin, end = int(self.starts[i]), int(self.starts[i] + self.counts[i])
            if runs and runs[-1][1] == begin:
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((begin, end))
        return runs


@dataclass(frozen=True, slots=True)
class ShardPart:
    """One shard's result for one window of a meeting (the `seq`-th the meeting's fan-out sent):
    its teams' weekend totals and their histogram; for a window that classifies a session, its
    teams' points in that session and their weekend totals as of it (FinalTeams), with theirs."""

    meeting_key: int
    shard: int
    seq: int
    update: WeekendUpdate
    run: str = ""  # the flow run the window numbers are of
    totals: Int32Array | None = None  # None: the meeting has no teams
    histogram: PointsHistogram | None = None
    final_session: Int32Array | None = None
    final_weekend: Int32Array | None = None
    final_histogram: PointsHistogram | None = None
    # The shard's teams and the weekend's asset points are those of its previous part (a window
    # that moved only a running order).
    unchanged: bool = False

    def note(self) -> HistogramNote:
        """What every other shard needs of this part: its histograms, no team."""
        return HistogramNote(self.shard, self.seq, self.histogram, self.final_histogram)


@dataclass(frozen=True, slots=True)
class HistogramNote:
    """A shard's histograms for one window, sent to every shard of the meeting."""

    shard: int
    seq: int
    histogram: PointsHistogram | None
    final_histogram: PointsHistogram | None


def score_shard(
    book: TeamBook | None, shard: int, seq: int, update: WeekendUpdate, run: str = ""
) -> ShardPart:
    """A shard's teams scored from the window's weekend points (the shard's `book` holds its slots)."""
    if book is None or book.size == 0:
        return ShardPart(update.meeting_key, shard, seq, update, run)
    teams = TeamScores(book, weekend=update)
    totals = teams.totals
    part = ShardPart(update.meeting_key, shard, seq, update, run, totals, PointsHistogram.of(totals))
    if not update.session.newly_final:
        return part
    final = FinalTeams(teams, update)
    as_of = final.weekend_points
    return ShardPart(
        update.meeting_key,
        shard,
        seq,
        update,
        run,
        totals,
        part.histogram,
        final.session_points,
        as_of,
        PointsHistogram.of(as_of),
    )


@dataclass(frozen=True, slots=True)
class WholeRun:
    """A shard's teams with one total, in a league of every team: `slots` (team slots, by id) take
    the places from `offset` on (from the league's start), all of rank `rank`."""

    offset: int
    slots: Int32Array
    rank: int
    points: int


def whole_league_runs(
    totals: Int32Array, start: int, histograms: Sequence[PointsHistogram], shard: int
) -> list[WholeRun]:
    """Where a shard's teams (slots from `start`, `totals`) sit in a league of every team, ordered
    best first, ties by team id, from every shard's histogram (in shard order)."""
    if totals.size == 0:
        return []
    merged = PointsHistogram.merged(histograms)
    before = PointsHistogram.merged(histograms[:shard])
    values, inverse, counts = np.unique(totals, return_inverse=True, return_counts=True)
    values = values[::-1]  # best first
    counts = counts[::-1]
    above = merged.ranks(values.astype(np.int32)) - 1  # teams with more points, every shard
    earlier = before.count_at(values.astype(np.int32))  # tied teams in the shards before this one
    order = stable_order((values.size - 1 - inverse).astype(np.int64))  # by points, then by slot
    slots = (order + start).astype(np.int32)
    runs, done = [], 0
    for value, count, higher, tied in zip(
        values.tolist(), counts.tolist(), above.tolist(), earlier.tolist(), strict=True
    ):
        runs.append(WholeRun(higher + tied, slots[done : done + count], higher + 1, value))
        done += count
    return runs


@dataclass(frozen=True, slots=True)
class LeaguePartial:
    """A shard's members of one league group's leagues for one window: each membership's league
    (index into the LeagueTable), team slot and total, by league then slot."""

    group: int
    shard: int
    seq: int
    run: str
    update: WeekendUpdate
    league: IntArray
    slots: Int32Array
    totals: Int32Array


def league_partials(
    table: LeagueTable,
    member_league: IntArray,
    member_slot: Int32Array,
    start: int,
    totals: Int32Array,
    update: WeekendUpdate,
    shard: int,
    seq: int,
    run: str,
    groups: int,
) -> list[LeaguePartial]:
    """A shard's memberships (league index into `table`, local slot; by league then slot) split by
    league group, each with its teams' totals; leagues of every team are the shards' own."""
    group = table.group_of[member_league]
    out = []
    for g in range(groups):
        mine = np.flatnonzero(group == g)
        local = member_slot[mine]
        out.append(
            LeaguePartial(
                g,
                shard,
                seq,
                run,
                update,
                member_league[mine],
                (local + start).astype(np.int32),
                totals[local],
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class GroupStandings:
    """One league group's standings for one window: its leagues' members best first (ties by team
    id), ranks and points, laid out as `runs` ([begin, end) in the league arrays) in order."""

    group: int
    seq: int
    run: str
    update: WeekendUpdate
    runs: list[tuple[int, int]]
    order: Int32Array
    ranks: Int32Array
    points: Int32Array
    table: LeagueTable


def group_standings(table: LeagueTable, parts: Sequence[LeaguePartial]) -> GroupStandings:
    """The group's leagues ordered from every shard's partial (in shard order: slots ascending)."""
    group, seq, run, update = parts[0].group, parts[0].seq, parts[0].run, parts[0].update
    league = np.concatenate([p.league for p in parts])
    slots = np.concatenate([p.slots for p in parts])
    totals = np.concatenate([p.totals for p in parts])
    runs = table.group_runs(group)
    if totals.size == 0:
        empty = np.zeros(0, dtype=np.int32)
        return GroupStandings(group, seq, run, update, runs, empty, empty, empty, table)
    top = int(totals.max())
    gap = np.subtract(top, totals, dtype=np.int64)
    first = int(league.min())
    key = (league - first) * (int(gap.max()) + 1) + gap
    by = stable_order(key)  # by league, then points, then slot (the parts' order)
    order = slots[by]
    points = totals[by]
    sorted_league = league[by]
    new = np.empty(by.size, dtype=bool)  # a league's first member, or a lower total
    new[0] = True
    np.not_equal(points[1:], points[:-1], out=new[1:])
    new_league = np.empty(by.size, dtype=bool)
    new_league[0] = True
    np.not_equal(sorted_league[1:], sorted_league[:-1], out=new_league[1:])
    new |= new_league
    positions = np.arange(by.size, dtype=np.int64)
    first_equal = np.maximum.accumulate(positions * new)
    league_first = np.maximum.accumulate(positions * new_league)
    ranks = (first_equal - league_first + 1).astype(np.int32)
    return GroupStandings(group, seq, run, update, runs, order, ranks, points, table)


@dataclass(frozen=True, slots=True)
class ShardTeams:
    """One shard's teams for one window, ranked among every team: what the shard writes itself
    (its slots' totals and ranks, its runs of the leagues of every team), what it sends each league
    group (`partials`) and, for a classification, its final rows (session points, weekend points
    and ranks as of the session), to be gathered for PostgreSQL."""

    meeting_key: int
    shard: int
    seq: int
    run: str
    update: WeekendUpdate
    start: int = 0  # the shard's first slot
    team_ids: IntArray | None = None  # None: the meeting has no teams
    totals: Int32Array | None = None
    ranks: Int32Array | None = None
    whole: list[WholeRun] = field(default_factory=list)
    partials: list[LeaguePartial] = field(default_factory=list)
    final: tuple[Int32Array, Int32Array, Int32Array] | None = None
    table: LeagueTable | None = None


def rank_shard(
    part: ShardPart,
    histograms: Sequence[PointsHistogram | None],
    final_histograms: Sequence[PointsHistogram | None],
    book: TeamBook | None,
    start: int,
    table: LeagueTable | None,
    groups: int,
) -> ShardTeams:
    """A shard's part ranked with every shard's histograms (in shard order): its ranks, its runs of
    the leagues of every team, its members' totals for each league group, its final rows."""
    if table is None:  # the weekend has no teams
        return ShardTeams(part.meeting_key, part.shard, part.seq, part.run, part.update, start)
    if part.totals is None or book is None:  # a shard without teams: the league groups still count it
        empty = np.zeros(0, dtype=np.int32)
        nobody = [
            LeaguePartial(
                g, part.shard, part.seq, part.run, part.update, empty.astype(np.int64), empty, empty
            )
            for g in range(groups)
        ]
        return ShardTeams(
            part.meeting_key, part.shard, part.seq, part.run, part.update, start, partials=nobody, table=table
        )
    present = [h for h in histograms if h is not None]
    totals = part.totals
    ranks = PointsHistogram.merged(present).ranks(totals)
    runs = whole_league_runs(
        totals, start, [h or PointsHistogram.of(totals[:0]) for h in histograms], part.shard
    )
    members = np.searchsorted(table.leagues, book.member_league).astype(np.int64)
    partials = league_partials(
        table, members, book.member_slot, start, totals, part.update, part.shard, part.seq, part.run, groups
    )
    final = None
    if part.final_weekend is not None and part.final_session is not None:
        merged = PointsHistogram.merged([h for h in final_histograms if h is not None])
        final = (part.final_session, part.final_weekend, merged.ranks(part.final_weekend))
    return ShardTeams(
        part.meeting_key,
        part.shard,
        part.seq,
        part.run,
        part.update,
        start,
        book.team_ids,
        totals,
        ranks,
        runs,
        partials,
        final,
        table,
    )
