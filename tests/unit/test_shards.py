"""scoring/shards.py and the merge step (dataflows/shard_steps.py): a weekend's teams scored in K
shards by slot and put back together give what one book of every team gives: totals, ranks from
the shards' points histograms, league standings over leagues that span shards, final rows."""

from __future__ import annotations

import dataclasses
import itertools
import random

import numpy as np
import pytest

from dataflows.shard_books import SlicedBooks
from dataflows.shard_steps import FanOut, MergeState, ShardMerge, ShardScorer, ShardState, fan_out
from scoring.chips import Chip
from scoring.outcomes import FinalTeams, TeamScores
from scoring.shards import MergedScores, PointsHistogram, ShardPart, final_rows, score_shard, shard_bounds
from scoring.teams import TeamBook, competition_ranks
from scoring.weekend import WeekendUpdate
from tests.unit.test_weekend_and_live_layout import QUALI, RACE, weekend

ASSETS = [f"driver:{d}" for d in ("AAA", "BBB", "X1", "X2", "X3", "X4")] + [
    "constructor:Alpha",
    "constructor:Y",
]


def random_book(teams: int, seed: int) -> TeamBook:
    rng = random.Random(seed)
    rosters = []
    for team in rng.sample(range(1, 10 * teams), teams):
        drivers = rng.sample(ASSETS[:6], 5)
        weights = [1] * 7
        weights[rng.randrange(5)] = 2
        rosters.append((team, (*drivers, *ASSETS[6:]), tuple(weights)))
    ids = [r[0] for r in rosters]
    members = [(1, t) for t in ids] + [(rng.randrange(2, 8), t) for t in ids if rng.random() < 0.6]
    chips = [None, Chip.AUTOPILOT, Chip.NO_NEGATIVE]
    weeks = {t: (rng.choice([0, 0, 10]), rng.choice(chips)) for t in ids}
    return TeamBook.from_rosters(rosters, memberships=sorted(set(members)), weeks=weeks)


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


@pytest.mark.parametrize("shards", [2, 4, 5])
def test_shards_merged_are_the_whole_books_numbers(shards: int) -> None:
    book = random_book(203, seed=shards)
    classified = dataclasses.replace(weekend(QUALI), session=dataclasses.replace(QUALI, newly_final=True))
    sliced = SlicedBooks(lambda meeting: book)
    parts = [score_shard(sliced.shard(1, s, shards), s, 0, classified) for s in range(shards)]
    merged = MergedScores(book.index_only(), parts)
    merged_rows = final_rows(parts)
    assert merged_rows is not None
    whole = TeamScores(book, weekend=classified)
    final = FinalTeams(whole, classified)
    assert merged.ranks.tolist() == whole.ranks.tolist()  # ranks first: the totals merged on the way
    assert merged.totals.tolist() == whole.totals.tolist()
    assert merged.standings.order.tolist() == whole.standings.order.tolist()
    rows = (final.session_points, final.weekend_points, final.ranks)
    assert [r.tolist() for r in merged_rows] == [r.tolist() for r in rows]
    unclassified = [score_shard(sliced.shard(1, s, shards), s, 1, weekend(QUALI)) for s in range(shards)]
    assert final_rows(unclassified) is None


def test_the_merge_puts_windows_back_in_order_with_standings_across_shards() -> None:
    book = random_book(97, seed=7)
    shards = 3
    sliced = SlicedBooks(lambda meeting: book)
    race: WeekendUpdate = weekend(RACE)
    moved = dataclasses.replace(race, drivers={**race.drivers, "X4": 30})
    state, numbered = None, []
    for window in (weekend(QUALI), race, moved):
        state, out = fan_out(shards)(state, window)
        numbered += out
    parts: list[ShardPart] = [
        score_shard(sliced.shard(u.meeting_key, s, shards), s, seq, u) for seq, s, u in numbered
    ]
    random.Random(3).shuffle(parts)  # shards finish in any order
    merge = ShardMerge(sliced, shards)
    merge_state, windows = None, []
    for part in parts:
        merge_state, out = merge(merge_state, part)
        windows += out
    assert [w.weekend for w in windows] == [weekend(QUALI), race, moved]
    for window in windows:
        assert window.teams is not None
        whole = TeamScores(book, weekend=window.weekend)
        assert window.teams.ranks.tolist() == whole.ranks.tolist()
        assert window.teams.standings.order.tolist() == whole.standings.order.tolist()
        assert window.teams.standings.ranks.tolist() == whole.standings.ranks.tolist()


def test_a_window_that_moved_no_points_reuses_the_merged_teams() -> None:
    """As TeamScorer for one book: every shard reuses its numbers, the merge its last window (no
    ranking or league sort again); moved points, or a classification, are scored afresh."""
    book, shards = random_book(50, seed=11), 3
    sliced = SlicedBooks(lambda meeting: book)
    scorer, merge = ShardScorer(sliced, shards), ShardMerge(sliced, shards)
    race = weekend(RACE)
    classified = dataclasses.replace(race, session=dataclasses.replace(RACE, newly_final=True))
    moved = dataclasses.replace(race, drivers={**race.drivers, "X4": 30})
    fan: FanOut | None = None
    merged: MergeState | None = None
    states: dict[int, ShardState | None] = dict.fromkeys(range(shards))
    teams = []
    for update in (race, race, classified, race, moved):
        fan, items = fan_out(shards)(fan, update)
        for seq, shard, each in items:
            states[shard], part = scorer(states[shard], (seq, shard, each))
            merged, windows = merge(merged, part)
        teams.append(windows[0].teams)
    assert teams[1] is teams[0]
    assert teams[2] is not teams[1]  # the classification: its final rows with it
    assert teams[3] is teams[2]
    assert teams[4] is not teams[3]
    whole = TeamScores(book, weekend=moved)
    assert teams[4].standings.order.tolist() == whole.standings.order.tolist()
