"""A meeting's team index published anew over Redis state of another layout (a bigger earlier replay
of the same meeting, teams added): the old totals and league arrays must not be read with the new
index. Before, a league page read that way raised IndexError and ended the replay (found from a
fresh clone: `replay --teams 2000`, then `--teams 200` on the same Redis)."""

from __future__ import annotations

import numpy as np
import redis

from scoring.outcomes import TeamScores
from scoring.teams import TeamBook
from store import live_keys
from store.live import publish_book_index, write_standings
from store.live_read import LiveReader

MEETING = 4242
LEAGUE = 7
ROSTER = (
    "driver:AAA",
    "driver:BBB",
    "driver:CCC",
    "driver:DDD",
    "driver:EEE",
    "constructor:Alpha",
    "constructor:Beta",
)
WEIGHTS = (2, 1, 1, 1, 1, 1, 1)


def book_of(teams: int) -> TeamBook:
    return TeamBook.from_rosters(
        [(team, ROSTER, WEIGHTS) for team in range(1, teams + 1)],
        memberships=[(LEAGUE, team) for team in range(1, teams + 1)],
    )


def written(client: redis.Redis, book: TeamBook, totals: list[int]) -> TeamScores:
    teams = TeamScores(book, np.array(totals, dtype=np.int32))
    publish_book_index(client, MEETING, book)
    write_standings(client, MEETING, teams)
    return teams


def test_a_smaller_index_over_a_bigger_replays_arrays_reads_no_stale_rows(
    redis_client: redis.Redis, redis_url: str
) -> None:
    written(redis_client, book_of(2000), list(range(2000)))
    small = book_of(200)
    publish_book_index(redis_client, MEETING, small)  # the next replay's index, before its first window
    assert redis_client.exists(live_keys.league_order(MEETING)) == 0, "the old layout's arrays are gone"
    with LiveReader(redis_url) as reader:
        count, page = reader.league(MEETING, LEAGUE, 0, 50)
        assert (count, page) == (200, []), "no standings until the new layout's are written"
        write_standings(redis_client, MEETING, TeamScores(small, np.arange(200, dtype=np.int32)))
        count, page = reader.league(MEETING, LEAGUE, 0, 3)
    assert count == 200
    assert [(s.team_id, s.points) for s in page] == [(200, 199), (199, 198), (198, 197)]


def test_the_same_layout_published_again_keeps_the_live_arrays(
    redis_client: redis.Redis, redis_url: str
) -> None:
    book = book_of(50)
    written(redis_client, book, list(range(50)))
    publish_book_index(redis_client, MEETING, book_of(50))  # a Final Fix re-read: same teams, leagues
    with LiveReader(redis_url) as reader:
        count, page = reader.league(MEETING, LEAGUE, 0, 1)
    assert count == 50
    assert [(s.team_id, s.points) for s in page] == [(50, 49)]
