"""The flow's rosters come from Postgres, one read per meeting; at the Race's first window the
Final Fixes (the one change to a locked roster, until the Race starts) are read again (the
`reread_final_fixes` step, or each shard's) and patched in, in the background. Live, nothing is
read on the flow's path: the weekends in play load when the engine starts, a meeting met without a
book loads on the loader's thread."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
from psycopg.types.json import Jsonb

from benchmarks.replay import prepare_teams
from dataflows.rosters import FinalFixRereads
from dataflows.scoring_steps import TeamScorer
from dataflows.shard_books import SlicedBooks, StoreShardBooks
from dataflows.shard_steps import (
    FanOut,
    FinalGather,
    FinalState,
    RankState,
    ShardRanker,
    ShardScorer,
    ShardState,
    fan_out,
    to_every_shard,
)
from dataflows.store_books import StoreTeamBooks
from dataflows.weekend_state import WeekendState
from ingest.feeds import FeedSummary, summarise
from scoring.facts import SessionKind
from scoring.outcomes import FinalTeams, ScoredWindow, TeamScores
from scoring.points import AssetPoints, SessionPoints
from scoring.rules import DEFAULT_RULESET, load_ruleset
from scoring.shards import ShardTeams
from scoring.teams import TeamBook, driver_asset
from scoring.weekend import SessionUpdate, WeekendUpdate
from store.teams import load_book, load_final_fixes, patch_book
from store.urls import libpq_url
from tests.conftest import FEEDS

JAPAN = FEEDS / "2025-03-japan.jsonl"
QUALIFYING, RACE = 2025033, 2025034


def window(weekend: WeekendState, session_key: int, kind: SessionKind, final: bool = False) -> WeekendUpdate:
    points = SessionPoints(
        session_key, weekend.meeting_key, kind, False, {"VER": AssetPoints({"position": 9})}, {}
    )
    return weekend.update(SessionUpdate(points, kind.value, None, None, None, final))


def book_of(scorer: TeamScorer, update: WeekendUpdate, rereads: FinalFixRereads | None = None) -> TeamBook:
    """The book `scorer` scores `update` with, after the flow's re-read step when given."""
    teams = scorer(rereads(update) if rereads is not None else update).teams
    assert teams is not None
    return teams.book


def japan_teams(db: str, teams: int) -> tuple[FeedSummary, int]:
    """The Japanese weekend's feed summary and meeting, with `teams` generated teams in Postgres."""
    summary = summarise([JAPAN])
    meeting = summary.meeting_keys[0]
    prepare_teams(db, meeting, summary.drivers, summary.constructors, teams, DEFAULT_RULESET)
    return summary, meeting


def read_book(db: str, meeting: int) -> TeamBook:
    """The meeting's whole book, read from Postgres as the flow reads it."""
    rules = load_ruleset().team
    with psycopg.connect(libpq_url(db)) as conn:
        book = load_book(conn, meeting, rules.boost_multiplier, rules.extra_drs_multiplier)
    assert book is not None
    return book


def final_fix(db: str, summary: FeedSummary, meeting: int, team: int) -> str:
    """What the API writes for a Final Fix: the locked roster's second driver replaced by the first of
    the weekend's drivers the team does not hold, and the chip. Returns the newcomer."""
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        row = conn.execute(
            "SELECT drivers[2], drivers FROM roster WHERE team_id = %s AND meeting_key = %s", (team, meeting)
        ).fetchone()
        assert row is not None
        newcomer = next(d for d in summary.drivers if d not in row[1])
        conn.execute("INSERT INTO meeting (meeting_key) VALUES (%s) ON CONFLICT DO NOTHING", (meeting,))
        conn.execute(
            "UPDATE roster SET drivers[2] = %(in)s,"
            " boost_driver = CASE WHEN boost_driver = drivers[2] THEN %(in)s ELSE boost_driver END"
            " WHERE team_id = %(team)s AND meeting_key = %(meeting)s",
            {"in": newcomer, "team": team, "meeting": meeting},
        )
        conn.execute(
            "INSERT INTO chip_play (team_id, season, meeting_key, chip, detail, created_at, updated_at)"
            " VALUES (%s, 2025, %s, 'final_fix', %s, now(), now())",
            (team, meeting, Jsonb({"out": row[0], "in": newcomer})),
        )
    return newcomer


def test_rosters_are_read_again_at_the_races_first_window(db: str) -> None:
    summary, meeting = japan_teams(db, 5)
    books = StoreTeamBooks(db, load_ruleset().team)
    scorer, rereads = TeamScorer(books), FinalFixRereads(books)
    weekend = WeekendState(meeting)

    first = book_of(scorer, window(weekend, QUALIFYING, SessionKind.QUALIFYING), rereads)
    newcomer = final_fix(db, summary, meeting, int(first.team_ids[0]))
    # one read a weekend
    assert book_of(scorer, window(weekend, QUALIFYING, SessionKind.QUALIFYING), rereads) is first

    book_of(scorer, window(weekend, RACE, SessionKind.RACE), rereads)  # the Race starts: read them again
    # Its classification waits for the new rosters, however soon it comes (a fast replay).
    race = book_of(scorer, window(weekend, RACE, SessionKind.RACE, final=True), rereads)
    assert race is not first
    assert driver_asset(newcomer) in {race.assets[a] for a in race.picks[0]}
    # one more read, not one a window
    assert book_of(scorer, window(weekend, RACE, SessionKind.RACE), rereads) is race
    books.wait_for_reloads()
    assert book_of(scorer, window(weekend, RACE, SessionKind.RACE), rereads) is race


def test_a_final_fix_patch_scores_as_a_whole_new_read(db: str) -> None:
    """The Race's patch (Final Fix rows only) gives the book a full read gives: same picks,
    weights and fixes, so the same totals before and from the Race; slots and leagues shared."""
    summary, meeting = japan_teams(db, 40)
    rules = load_ruleset().team
    before = read_book(db, meeting)
    for slot in (0, 7, 39):
        final_fix(db, summary, meeting, int(before.team_ids[slot]))
    with psycopg.connect(libpq_url(db)) as conn:
        fixes = load_final_fixes(conn, meeting)
    whole = read_book(db, meeting)
    assert fixes.height == 3
    patched = patch_book(before, fixes, rules.boost_multiplier, rules.extra_drs_multiplier)
    assert patched is not None
    assert patched.team_ids is before.team_ids
    assert patched.member_slot is before.member_slot
    rng = np.random.default_rng(3)
    points = {a: int(rng.integers(-10, 30)) for a in whole.assets}
    early = {a: int(rng.integers(-5, 15)) for a in whole.assets}
    np.testing.assert_array_equal(
        patched.totals(points, before_race=early), whole.totals(points, before_race=early)
    )
    assert not np.array_equal(
        before.totals(points, before_race=early), whole.totals(points, before_race=early)
    )


def test_live_loads_in_the_background_and_preloads_the_weekends_in_play(db: str) -> None:
    """Live, a call never reads Postgres: the weekends in play (rosters, Race not final) load when
    asked to preload, a meeting without a book is requested and None returned until it is in."""
    _, meeting = japan_teams(db, 30)
    loaded: list[tuple[int, int]] = []
    books = StoreTeamBooks(
        db, load_ruleset().team, background=True, on_loaded=lambda m, b: loaded.append((m, b.size))
    )
    assert books.preload() == [meeting]
    books.wait_for_reloads()
    assert loaded == [(meeting, 30)]
    held = books(meeting)
    assert held is not None
    assert held.size == 30

    later = StoreTeamBooks(db, load_ruleset().team, background=True)
    assert later(meeting) is None  # requested: it loads on the loader's thread
    later.wait_for_reloads()
    book = later(meeting)
    assert book is not None
    assert np.array_equal(book.team_ids, held.team_ids)
    assert later(999_999) is None  # no rosters: asked again only after retry_after_s
    later.wait_for_reloads()
    assert later(999_999) is None
    assert later.book_for_final(999_999) is None

    with psycopg.connect(libpq_url(db), autocommit=True) as conn:  # the Race is final: not in play
        conn.execute("INSERT INTO meeting (meeting_key) VALUES (%s) ON CONFLICT DO NOTHING", (meeting,))
        conn.execute(
            "INSERT INTO race_session (session_key, meeting_key, name, state)"
            " VALUES (%s, %s, 'Race', 'final') ON CONFLICT (session_key) DO UPDATE SET state = 'final'",
            (RACE, meeting),
        )
    assert StoreTeamBooks(db, load_ruleset().team, background=True).preload() == []


@pytest.mark.parametrize("source", ["shard reads", "whole books sliced"])
def test_shards_score_the_race_with_the_final_fixes(db: str, source: str) -> None:
    """A sharded flow (dataflows/shard_steps.py) scores the Race's classification with every Final
    Fix, whether each shard reads its own slots (the cluster's) or slices the store's whole books
    (`gridscore replay` and `live` with GRIDSCORE_TEAM_SHARDS > 1): the numbers of a fresh read."""
    summary, meeting = japan_teams(db, 40)
    rules = load_ruleset().team
    before = read_book(db, meeting)
    books = StoreShardBooks(db, rules) if source == "shard reads" else SlicedBooks(StoreTeamBooks(db, rules))
    shards, weekend, rng = 4, WeekendState(meeting), np.random.default_rng(5)
    scorer, ranker, gather = ShardScorer(books, shards), ShardRanker(books, shards), FinalGather(shards)
    fan: FanOut | None = None
    states: dict[int, ShardState | None] = dict.fromkeys(range(shards))
    ranks: dict[str, RankState | None] = {}
    finals: FinalState | None = None

    def scored(
        session_key: int, kind: SessionKind, final: bool = False
    ) -> tuple[np.ndarray, ScoredWindow | None]:
        """Every team's total (the shards' laid end to end) and the classification's final window."""
        nonlocal fan, finals
        drivers = {d: AssetPoints({"position": int(rng.integers(-5, 30))}) for d in summary.drivers}
        points = SessionPoints(session_key, meeting, kind, final, drivers, {})
        fan, items = fan_out(shards)(
            fan, weekend.update(SessionUpdate(points, kind.value, None, None, None, final))
        )
        ranked: list[ShardTeams] = []
        for item in items:
            states[item[2]], part = scorer(states[item[2]], item)
            for key, each in to_every_shard(shards)(part):
                ranks[key], out = ranker(ranks.get(key), each)
                ranked += out
        window = None
        for teams in ranked if final else []:
            finals, gathered = gather(finals, teams)
            window = gathered[0] if gathered else window
        totals = np.concatenate(
            [t.totals for t in sorted(ranked, key=lambda t: t.shard) if t.totals is not None]
        )
        return totals, window

    _, first = scored(QUALIFYING, SessionKind.QUALIFYING, final=True)
    assert first is not None
    assert first.final is not None
    for slot in (0, 17, 39):  # teams of three shards
        final_fix(db, summary, meeting, int(first.final.team_ids[slot]))
    scored(RACE, SessionKind.RACE)
    totals, race = scored(RACE, SessionKind.RACE, final=True)
    assert race is not None
    assert race.final is not None
    expected = TeamScores(read_book(db, meeting), weekend=race.weekend)
    np.testing.assert_array_equal(totals, expected.totals)
    np.testing.assert_array_equal(
        race.final.session_points, FinalTeams(expected, race.weekend).session_points
    )
    assert not np.array_equal(TeamScores(before, weekend=race.weekend).totals, expected.totals)


def test_a_book_read_in_many_small_slices_is_the_book_read_whole(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """store/roster_stream.py encodes COPY's output a slice at a time, each slice cut at a row's end
    and its names coded as met, then renumbered: slices of a few rows give the same book, team index
    and totals as one slice."""
    from store import roster_stream
    from store.teams import load_index

    summary, meeting = japan_teams(db, 300)
    rules = load_ruleset().team
    final_fix(db, summary, meeting, int(read_book(db, meeting).team_ids[5]))
    with psycopg.connect(libpq_url(db)) as conn:
        whole = load_book(conn, meeting, rules.boost_multiplier, rules.extra_drs_multiplier)
        monkeypatch.setattr(roster_stream, "SLICE_BYTES", 333)  # a few rows, cut anywhere
        sliced = load_book(conn, meeting, rules.boost_multiplier, rules.extra_drs_multiplier)
        index = load_index(conn, meeting)
    assert whole is not None
    assert sliced is not None
    assert index is not None
    assert sliced.assets == whole.assets
    for name in (
        "team_ids",
        "picks",
        "weights",
        "member_league",
        "member_slot",
        "penalty",
        "fix_out",
        "fix_in",
    ):
        np.testing.assert_array_equal(getattr(sliced, name), getattr(whole, name), err_msg=name)
    assert whole.fix_out is not None
    assert int((whole.fix_out >= 0).sum()) == 1  # the Final Fix came through
    np.testing.assert_array_equal(index.team_ids, whole.team_ids)
    np.testing.assert_array_equal(index.member_league, whole.member_league)
    np.testing.assert_array_equal(index.member_slot, whole.member_slot)
    assert whole.member_slot.size >= 2 * whole.size  # a league of its own and the global one
    points = {a: i - 7 for i, a in enumerate(whole.assets)}
    np.testing.assert_array_equal(
        sliced.totals(points, before_race=points), whole.totals(points, before_race=points)
    )
