"""scoring/shards.py and the sharded steps (dataflows/shard_steps.py): a weekend's teams scored in
K shards by slot, ranked from the shards' points histograms, placed by each shard in the leagues
of every team and ordered in K league groups for the other leagues, laid out as the writers lay
them (store/live_shards.py), give what one book of every team gives: totals, ranks, every league's
order, ranks and points, final rows."""

from __future__ import annotations

import dataclasses
import itertools
import random

import numpy as np
import pytest

from dataflows.shard_books import SlicedBooks
from dataflows.shard_steps import (
    FanOut,
    FinalGather,
    LeagueGroup,
    ShardRanker,
    ShardScorer,
    ShardState,
    fan_out,
    final_rows_only,
    to_every_shard,
)
from scoring.chips import Chip
from scoring.outcomes import FinalTeams, ScoredWindow, TeamScores
from scoring.shards import GroupStandings, LeagueTable, PointsHistogram, ShardTeams, shard_bounds
from scoring.teams import TeamBook, competition_ranks
from scoring.weekend import WeekendUpdate
from tests.unit.test_weekend_and_live_layout import QUALI, RACE, weekend

ASSETS = [f"driver:{d}" for d in ("AAA", "BBB", "X1", "X2", "X3", "X4")] + [
    "constructor:Alpha",
    "constructor:Y",
]


def random_book(teams: int, seed: int, leagues: int = 8) -> TeamBook:
    rng = random.Random(seed)
    rosters = []
    for team in rng.sample(range(1, 10 * teams), teams):
        drivers = rng.sample(ASSETS[:6], 5)
        weights = [1] * 7
        weights[rng.randrange(5)] = 2
        rosters.append((team, (*drivers, *ASSETS[6:]), tuple(weights)))
    ids = [r[0] for r in rosters]
    members = [(3, t) for t in ids] + [(rng.randrange(1, leagues), t) for t in ids if rng.random() < 0.6]
    members += [(rng.randrange(1, leagues), t) for t in ids if rng.random() < 0.3]
    chips = [None, Chip.AUTOPILOT, Chip.NO_NEGATIVE]
    weeks = {t: (rng.choice([0, 0, 10]), rng.choice(chips)) for t in ids}
    return TeamBook.from_rosters(rosters, memberships=sorted(set(members)), weeks=weeks)


class Laid:
    """The team arrays as the sharded writers lay them out in Redis, and the final windows."""

    def __init__(self, size: int, members: int) -> None:
        self.totals = np.full(size, -999, dtype=np.int32)
        self.ranks = np.zeros(size, dtype=np.int32)
        self.order = np.full(members, -1, dtype=np.int32)
        self.league_ranks = np.zeros(members, dtype=np.int32)
        self.points = np.zeros(members, dtype=np.int32)
        self.finals: list[ScoredWindow] = []

    def shard(self, teams: ShardTeams) -> None:
        assert teams.table is not None
        if teams.totals is not None and teams.ranks is not None:
            self.totals[teams.start : teams.start + teams.totals.size] = teams.totals
            self.ranks[teams.start : teams.start + teams.ranks.size] = teams.ranks
        for start in teams.table.whole_starts:
            for run in teams.whole:
                at = slice(start + run.offset, start + run.offset + run.slots.size)
                self.order[at], self.league_ranks[at], self.points[at] = run.slots, run.rank, run.points

    def group(self, standings: GroupStandings) -> None:
        done = 0
        for begin, end in standings.runs:
            size = end - begin
            self.order[begin:end] = standings.order[done : done + size]
            self.league_ranks[begin:end] = standings.ranks[done : done + size]
            self.points[begin:end] = standings.points[done : done + size]
            done += size


def run_sharded(book: TeamBook, shards: int, updates: list[WeekendUpdate], seed: int = 0) -> list[Laid]:
    """The sharded steps over `updates`, items delivered in a shuffled order between steps where
    they come from several keys; the arrays laid out after each window."""
    books = SlicedBooks(lambda meeting: book)
    scorer, ranker = ShardScorer(books, shards), ShardRanker(books, shards)
    group, gather = LeagueGroup(books, shards), FinalGather(shards)
    rng = random.Random(seed)
    fan: FanOut | None = None
    scores: dict[int, ShardState | None] = {}
    ranks: dict[str, object] = {}
    groups: dict[str, object] = {}
    final_state: object = None
    laid = Laid(book.size, book.member_slot.size)
    out = []
    for update in updates:
        fan, items = fan_out(shards)(fan, update)
        spread = []
        for item in items:
            scores[item[2]], part = scorer(scores.get(item[2]), item)
            spread += to_every_shard(shards)(part)
        rng.shuffle(spread)
        ranked: list[ShardTeams] = []
        for key, each in spread:
            ranks[key], emitted = ranker(ranks.get(key), each)  # type: ignore[arg-type]
            ranked += emitted
        partials = [p for t in ranked for p in t.partials]
        rng.shuffle(partials)
        for teams in ranked:
            laid.shard(teams)
        for partial in partials:
            key = str(partial.group)
            groups[key], standings = group(groups.get(key), partial)  # type: ignore[arg-type]
            for each_group in standings:
                laid.group(each_group)
        for teams in ranked:
            if teams.update.session.newly_final:
                final_state, finals = gather(final_state, final_rows_only(teams))  # type: ignore[arg-type]
                laid.finals += finals
        snapshot = Laid(0, 0)
        snapshot.__dict__.update(
            {k: v.copy() if isinstance(v, np.ndarray) else list(v) for k, v in laid.__dict__.items()}
        )
        out.append(snapshot)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_ranks_from_merged_histograms_are_the_competition_ranks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    totals = rng.integers(-40, 300, size=500).astype(np.int32)
    cuts = sorted(rng.integers(0, 500, size=3).tolist())
    parts = np.split(totals, cuts)  # some may be empty
    merged = PointsHistogram.merged([PointsHistogram.of(p) for p in parts])
    assert np.concatenate([merged.ranks(p) for p in parts]).tolist() == competition_ranks(totals).tolist()


def test_shard_bounds_cover_every_slot_once_in_order() -> None:
    for size in (0, 1, 3, 10, 1001):
        for shards in (1, 2, 4, 7):
            bounds = [shard_bounds(size, shards, s) for s in range(shards)]
            assert bounds[0][0] == 0
            assert bounds[-1][1] == size
            assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))


def test_league_groups_split_the_other_leagues_in_runs_and_leave_the_whole_ones() -> None:
    table = LeagueTable.of(np.array([1, 2, 3, 4, 5]), np.array([4, 10, 3, 10, 6]), teams=10, groups=2)
    assert table.whole_starts == [4, 17]
    assert table.group_of.tolist() == [0, -1, 0, -1, 1]
    assert table.group_runs(0) == [(0, 4), (14, 17)]
    assert table.group_runs(1) == [(27, 33)]


@pytest.mark.parametrize(("shards", "teams"), [(2, 203), (4, 97), (5, 3), (3, 0)])
def test_sharded_arrays_are_the_whole_books(shards: int, teams: int) -> None:
    """Totals, ranks, every league's order, ranks and points, and a classification's final rows,
    windows in order with the shards' items in any order between steps; fewer teams than shards."""
    book = random_book(max(teams, 1), seed=shards)
    if teams == 0:
        book = book.take(np.zeros(0, dtype=np.intp))
    race: WeekendUpdate = weekend(RACE)
    classified = dataclasses.replace(weekend(QUALI), session=dataclasses.replace(QUALI, newly_final=True))
    moved = dataclasses.replace(race, drivers={**race.drivers, "X4": 30})
    updates = [weekend(QUALI), classified, race, race, moved]
    laid = run_sharded(book, shards, updates, seed=shards)
    if teams == 0:
        [final] = laid[-1].finals  # the classification's asset results, no team rows
        assert final.teams is None
        return
    for update, each in zip(updates, laid, strict=True):
        whole = TeamScores(book, weekend=update)
        assert each.totals.tolist() == whole.totals.tolist()
        assert each.ranks.tolist() == whole.ranks.tolist()
        assert each.order.tolist() == whole.standings.order.tolist()
        assert each.league_ranks.tolist() == whole.standings.ranks.tolist()
        assert each.points.tolist() == whole.totals[whole.standings.order].tolist()
    [final] = laid[-1].finals
    expected = FinalTeams(TeamScores(book, weekend=classified), classified)
    assert final.final is not None
    assert final.final.team_ids.tolist() == book.team_ids.tolist()
    for got, want in (
        (final.final.session_points, expected.session_points),
        (final.final.weekend_points, expected.weekend_points),
        (final.final.ranks, expected.ranks),
    ):
        assert got.tolist() == want.tolist()
