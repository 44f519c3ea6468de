"""The live flow's rosters come from Postgres, one read per meeting, and a second (in the background)
at the Race's first window: a Final Fix changes a locked roster until the Race starts."""

from __future__ import annotations

import psycopg

from dataflows.scoring_steps import TeamScorer
from dataflows.store_books import StoreTeamBooks
from dataflows.weekend_state import SessionUpdate, WeekendState, WeekendUpdate
from gridscore.feeds import summarise
from gridscore.replay import prepare_teams
from scoring.facts import SessionKind
from scoring.points import AssetPoints, SessionPoints
from scoring.rules import DEFAULT_RULESET, load_ruleset
from scoring.teams import TeamBook, driver_asset
from store.urls import libpq_url
from tests.conftest import FEEDS

JAPAN = FEEDS / "2025-03-japan.jsonl"
QUALIFYING, RACE = 2025033, 2025034


def window(weekend: WeekendState, session_key: int, kind: SessionKind, final: bool = False) -> WeekendUpdate:
    points = SessionPoints(
        session_key, weekend.meeting_key, kind, False, {"VER": AssetPoints({"position": 9})}, {}
    )
    return weekend.update(SessionUpdate(points, kind.value, None, None, None, final))


def book_of(scorer: TeamScorer, update: WeekendUpdate) -> TeamBook:
    teams = scorer(update).teams
    assert teams is not None
    return teams.book


def test_rosters_are_read_again_at_the_races_first_window(db: str) -> None:
    summary = summarise([JAPAN])
    meeting = summary.meeting_keys[0]
    prepare_teams(db, meeting, summary.drivers, summary.constructors, 5, DEFAULT_RULESET)
    books = StoreTeamBooks(db, load_ruleset().team)
    scorer = TeamScorer(books)
    weekend = WeekendState(meeting)

    first = book_of(scorer, window(weekend, QUALIFYING, SessionKind.QUALIFYING))
    team = int(first.team_ids[0])
    held = {first.assets[a] for a in first.picks[0]}
    newcomer = next(d for d in summary.drivers if driver_asset(d) not in held)
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:  # what a Final Fix writes
        conn.execute(
            "UPDATE roster SET drivers[2] = %(in)s,"
            " boost_driver = CASE WHEN boost_driver = drivers[2] THEN %(in)s ELSE boost_driver END"
            " WHERE team_id = %(team)s AND meeting_key = %(meeting)s",
            {"in": newcomer, "team": team, "meeting": meeting},
        )
    assert book_of(scorer, window(weekend, QUALIFYING, SessionKind.QUALIFYING)) is first  # one read a weekend

    book_of(scorer, window(weekend, RACE, SessionKind.RACE))  # the Race starts: read them again
    # Its classification waits for the new rosters, however soon it comes (a fast replay).
    race = book_of(scorer, window(weekend, RACE, SessionKind.RACE, final=True))
    assert race is not first
    assert driver_asset(newcomer) in {race.assets[a] for a in race.picks[0]}
    assert book_of(scorer, window(weekend, RACE, SessionKind.RACE)) is race  # one more read, not one a window
    books.wait_for_reloads()
    assert book_of(scorer, window(weekend, RACE, SessionKind.RACE)) is race
