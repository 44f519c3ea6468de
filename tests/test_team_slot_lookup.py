"""A team's live reads find its slot by a binary search over the sorted packed team ids in Redis (no
id -> slot hash since issue 16's ten million teams): every id of a book with gaps is found at its slot,
ids beside, below and above them are not, ids past Lua's exact doubles (2**53) and negative ones
stay exact, and the team, team-with-points and league-standing reads agree with the arrays written."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import redis
import redis.asyncio as redis_async

from scoring.outcomes import TeamScores
from scoring.teams import TeamBook
from store import live_keys
from store.live import publish_book_index, write_standings
from store.live_read import AsyncLiveReader, LiveReader, Standing, TeamLive
from tests.test_live_index import ROSTER, WEIGHTS

MEETING = 5151
LEAGUE = 3
SLOT_SCRIPT = live_keys.TEAM_SLOT_LUA + "return slot_of(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))"


def slots_of(client: redis.Redis, ids: list[int], asked: list[int]) -> list[int | None]:
    client.set("lookup:ids", live_keys.pack_team_ids(sorted(ids)))
    script = client.register_script(SLOT_SCRIPT)
    return [script(keys=["lookup:ids"], args=list(live_keys.team_id_args(t))) for t in asked]


@pytest.mark.parametrize("size", [0, 1, 2, 3, 1000])
def test_every_id_of_a_book_with_gaps_is_at_its_slot_and_no_other_id_is_found(
    redis_client: redis.Redis, size: int
) -> None:
    ids = (np.arange(size, dtype=np.int64) * 3 + 5).tolist()  # 5, 8, 11, ...: gaps of two
    assert slots_of(redis_client, ids, ids) == list(range(size))
    absent = [0, 4, *(t + 1 for t in ids), *(t + 2 for t in ids), -5]
    assert slots_of(redis_client, ids, absent) == [None] * len(absent)


def test_ids_beyond_exact_doubles_and_negative_ids_stay_exact(redis_client: redis.Redis) -> None:
    big = 2**53
    ids = [-(2**63), -(2**32) - 1, -1, 0, 2**32 - 1, 2**32, big, big + 1, big + 2, 2**63 - 1]
    assert slots_of(redis_client, ids, ids) == list(range(len(ids)))
    near = [big + 3, big - 1, -2, 2**63 - 2, -(2**63) + 1, 2**31]
    assert slots_of(redis_client, ids, near) == [None] * len(near)


def test_no_ids_key_finds_no_team(redis_client: redis.Redis) -> None:
    script = redis_client.register_script(SLOT_SCRIPT)
    assert script(keys=["lookup:missing"], args=[0, 1]) is None


@pytest.mark.parametrize("ranks_as", ["rank table", "ranks by slot"])
def test_the_reads_by_team_id_agree_with_the_arrays_written(
    redis_client: redis.Redis, redis_url: str, ranks_as: str
) -> None:
    """Ranks as one process writes them (a rank table) or as shards do (their slots' ranks)."""
    team_ids = [10, 11, 40, 41, 99, 1_000_003]  # not dense: the search, not an offset, finds them
    book = TeamBook.from_rosters(
        [(t, ROSTER, WEIGHTS) for t in team_ids], memberships=[(LEAGUE, t) for t in team_ids[1:]]
    )
    totals = np.array([7, 30, 12, 30, -4, 55], dtype=np.int32)
    teams = TeamScores(book, totals)
    publish_book_index(redis_client, MEETING, book)
    redis_client.set(live_keys.team_totals(MEETING), live_keys.pack_int32(teams.totals))
    if ranks_as == "rank table":
        redis_client.set(live_keys.team_rank_table(MEETING), live_keys.pack_rank_table(teams.rank_table))
    else:
        redis_client.set(live_keys.team_ranks(MEETING), live_keys.pack_int32(teams.ranks))
    write_standings(redis_client, MEETING, teams)
    assert redis_client.exists(live_keys.legacy_team_slots(MEETING)) == 0

    with LiveReader(redis_url) as reader:
        found = {t: reader.team(MEETING, t) for t in [*team_ids, 12, 0]}
    assert {t: (s.rank, s.points) for t, s in found.items() if s is not None} == {
        10: (5, 7),
        11: (2, 30),
        40: (4, 12),
        41: (2, 30),
        99: (6, -4),
        1_000_003: (1, 55),
    }
    assert found[12] is None
    assert found[0] is None

    async def async_reads() -> tuple[TeamLive, TeamLive, Standing | None, Standing | None]:
        client = redis_async.Redis.from_url(redis_url)
        try:
            reader = AsyncLiveReader(client)
            return (
                await reader.team_with_points(MEETING, 40),
                await reader.team_with_points(MEETING, 42),
                await reader.league_standing(MEETING, LEAGUE, 41),
                await reader.league_standing(MEETING, LEAGUE, 99),
            )
        finally:
            await client.aclose()  # type: ignore[attr-defined]  # (types-redis lags redis 5)

    with_points, unknown, in_league, last = asyncio.run(async_reads())
    assert with_points.standing == Standing(4, 40, 12)
    assert unknown.standing is None
    assert in_league == Standing(2, 41, 30)
    assert last == Standing(5, 99, -4)


def test_publishing_an_index_unlinks_an_earlier_versions_slot_hash(redis_client: redis.Redis) -> None:
    redis_client.hset(live_keys.legacy_team_slots(MEETING), mapping={"1": 0, "2": 1})
    publish_book_index(redis_client, MEETING, TeamBook.from_rosters([(1, ROSTER, WEIGHTS)]))
    assert redis_client.exists(live_keys.legacy_team_slots(MEETING)) == 0
    assert live_keys.unpack_team_ids(redis_client.get(live_keys.team_ids(MEETING)) or b"").tolist() == [1]
