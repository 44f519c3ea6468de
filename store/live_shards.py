"""A sharded weekend's team arrays written where they are computed: each shard writes its slots of
the totals and ranks arrays and its runs of the leagues of every team, each league group its
leagues' segments of the league arrays, all with SETRANGE at slot x 4 bytes, into the same arrays
(and the same team index) that one process writes whole (store/live.py), so the API reads them
alike.

A window's part ("totals": the K shards; "leagues": the K shards and the K league groups) is
announced once its last writer is done, with the meeting version at that time: each writer counts
itself in a hash under the window's run and number, and the one that completes the count sets the
part's version and window time (and the totals' points document) and publishes it, in the same
transaction as its arrays. A shard writes its windows in order, so windows complete in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import msgspec
import numpy as np
import redis
from redis.client import Pipeline

from scoring.shards import GroupStandings, LeagueTable, ShardTeams
from scoring.weekend import WeekendUpdate
from store import live_keys as keys
from store.outages import REDIS
from store.running_order import weekend_window_time

log = logging.getLogger(__name__)
encode = msgspec.json.Encoder().encode
DONE_TTL_S = 3600  # a window's count lives this long at most (a run stopped half way)

# KEYS: the count hash, the part's version, the meeting's version, the totals' points document, the
# part's window time. ARGV: the window ("run:seq"), writers expected, channel, meeting, session,
# part, points document ("" for none), window time ("" for none), the count's time to live.
PART_DONE = """
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[9])
if n < tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local version = redis.call('GET', KEYS[3]) or '0'
redis.call('SET', KEYS[2], version)
if ARGV[7] ~= '' then redis.call('SET', KEYS[4], ARGV[7]) end
if ARGV[8] ~= '' then redis.call('SET', KEYS[5], ARGV[8]) end
redis.call('PUBLISH', ARGV[3], cjson.encode({
  meeting_key = tonumber(ARGV[4]), session_key = tonumber(ARGV[5]), version = tonumber(version),
  part = ARGV[6] }))
return 1
"""

# A shard's runs of the leagues of every team (KEYS: the newest window written there, league order,
# ranks, points; ARGV: run, window number, then per run its byte offset, order, ranks and points).
# Unlike a shard's slots of the totals, these places move between shards from window to window: a
# shard that lags must not overwrite a later window's places with its older ones, so a window
# older than the newest written there (in this run) is left out.
WHOLE_RUNS = """
local held = redis.call('GET', KEYS[1])
if held then
  local run, seq = string.match(held, '^(.*):(%d+)$')
  if run == ARGV[1] and tonumber(seq) > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2])
for i = 3, #ARGV, 4 do
  local at = tonumber(ARGV[i])
  redis.call('SETRANGE', KEYS[2], at, ARGV[i + 1])
  redis.call('SETRANGE', KEYS[3], at, ARGV[i + 2])
  redis.call('SETRANGE', KEYS[4], at, ARGV[i + 3])
end
return 1
"""

# A new layout (fewer teams or memberships than the arrays in Redis: an earlier, bigger weekend)
# drops the old arrays before the first shard writes; ARGV: the team ids' and the league arrays'
# bytes. The digest of a whole book's index goes, so that one process writes its index again.
NEW_LAYOUT = """
if redis.call('STRLEN', KEYS[1]) > tonumber(ARGV[1]) or redis.call('STRLEN', KEYS[4]) > tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
end
redis.call('DEL', KEYS[8])
"""


class _Parts:
    """Counts a window's writers in, inside their transactions (PART_DONE)."""

    def __init__(self, client: redis.Redis) -> None:
        self._done = client.register_script(PART_DONE)

    def queue(
        self, pipe: Pipeline, part: str, expected: int, run: str, seq: int, update: WeekendUpdate
    ) -> None:
        meeting = update.meeting_key
        totals = part == "totals"
        window_time = weekend_window_time(update)
        self._done(
            keys=[
                keys.part_writers(meeting, part),
                keys.totals_version(meeting) if totals else keys.league_version(meeting),
                keys.meeting_version(meeting),
                keys.totals_points(meeting),
                keys.totals_window_time(meeting) if totals else keys.league_window_time(meeting),
            ],
            args=[
                f"{run}:{seq}",
                expected,
                keys.updates_channel(meeting),
                meeting,
                update.session.points.session_key,
                "leagues" if part == "leagues" else "totals",
                encode(update.points_document()) if totals else "",
                window_time.isoformat() if window_time is not None else "",
                DONE_TTL_S,
            ],
            client=pipe,
        )


class ShardTeamsWriter:
    """A shard's window: its slots of the team ids (once per book), totals and ranks, and its runs
    of every league of every team; `on_written` is called with it once they are in Redis."""

    def __init__(
        self, client: redis.Redis, shards: int, on_written: Callable[[ShardTeams, float], None] | None = None
    ) -> None:
        self.client = client
        self.shards = shards
        self.on_written = on_written
        self._parts = _Parts(client)
        self._layout = client.register_script(NEW_LAYOUT)
        self._whole = client.register_script(WHOLE_RUNS)
        self._indexed: dict[tuple[int, int], object] = {}  # (meeting, shard) -> the team ids written

    def write(self, teams: ShardTeams) -> None:
        if teams.table is None:  # the weekend has no teams
            return
        REDIS.call(lambda: self._send(teams), f"shard {teams.shard} of meeting {teams.meeting_key}")
        self._indexed[(teams.meeting_key, teams.shard)] = teams.team_ids
        if self.on_written is not None:
            self.on_written(teams, time.perf_counter())

    def _send(self, teams: ShardTeams) -> None:
        meeting, table = teams.meeting_key, teams.table
        assert table is not None
        shards = self.shards
        pipe = self.client.pipeline(transaction=True)
        if teams.team_ids is not None and self._indexed.get((meeting, teams.shard)) is not teams.team_ids:
            self._queue_layout(pipe, meeting, table)
            pipe.setrange(keys.team_ids(meeting), teams.start * 8, keys.pack_team_ids(teams.team_ids))
        if teams.totals is not None and teams.ranks is not None:
            pipe.setrange(keys.team_totals(meeting), teams.start * 4, keys.int32_view(teams.totals))
            pipe.setrange(keys.team_ranks(meeting), teams.start * 4, keys.int32_view(teams.ranks))
            pipe.delete(keys.team_rank_table(meeting))  # one process's, which readers would take first
        runs: list[object] = [teams.run, teams.seq]
        for start in table.whole_starts:
            for run in teams.whole:
                size = run.slots.size
                runs += [
                    (start + run.offset) * 4,
                    keys.int32_view(run.slots),
                    keys.pack_int32(np.full(size, run.rank)),
                    keys.pack_int32(np.full(size, run.points)),
                ]
        if len(runs) > 2:
            self._whole(
                keys=[
                    keys.whole_window(meeting),
                    keys.league_order(meeting),
                    keys.league_ranks(meeting),
                    keys.league_points(meeting),
                ],
                args=runs,
                client=pipe,
            )
        self._parts.queue(pipe, "totals", shards, teams.run, teams.seq, teams.update)
        self._parts.queue(pipe, "leagues", 2 * shards, teams.run, teams.seq, teams.update)
        pipe.execute()

    def _queue_layout(self, pipe: Pipeline, meeting: int, table: LeagueTable) -> None:
        members = int(table.counts.sum())
        self._layout(
            keys=[
                keys.team_ids(meeting),
                keys.team_totals(meeting),
                keys.team_ranks(meeting),
                keys.league_order(meeting),
                keys.league_ranks(meeting),
                keys.league_points(meeting),
                keys.league_index(meeting),
                keys.book_index_digest(meeting),
            ],
            args=[table.teams * 8, members * 4],
            client=pipe,
        )


class LeagueGroupWriter:
    """A league group's window: its leagues' segments of the league arrays, and (once per league
    table) their entries of the league index; the leagues of every team's entries go with group 0."""

    def __init__(self, client: redis.Redis, shards: int) -> None:
        self.client = client
        self.shards = shards
        self._parts = _Parts(client)
        self._indexed: dict[tuple[int, int], object] = {}  # (meeting, group) -> the table indexed

    def write(self, standings: GroupStandings) -> None:
        meeting, table = standings.update.meeting_key, standings.table
        REDIS.call(
            lambda: self._send(standings, table), f"league group {standings.group} of meeting {meeting}"
        )
        self._indexed[(meeting, standings.group)] = table

    def _send(self, standings: GroupStandings, table: LeagueTable) -> None:
        meeting = standings.update.meeting_key
        pipe = self.client.pipeline(transaction=True)
        if self._indexed.get((meeting, standings.group)) is not table:
            mine = (table.group_of == standings.group) | ((table.group_of < 0) & (standings.group == 0))
            index = {
                str(league): keys.league_segment(start, count)
                for league, start, count in zip(
                    table.leagues[mine].tolist(),
                    table.starts[mine].tolist(),
                    table.counts[mine].tolist(),
                    strict=True,
                )
            }
            if index:
                pipe.hset(keys.league_index(meeting), mapping=index)  # type: ignore[arg-type]
        done = 0
        for begin, end in standings.runs:
            size = end - begin
            at = begin * 4
            pipe.setrange(
                keys.league_order(meeting), at, keys.int32_view(standings.order[done : done + size])
            )
            pipe.setrange(
                keys.league_ranks(meeting), at, keys.int32_view(standings.ranks[done : done + size])
            )
            pipe.setrange(
                keys.league_points(meeting), at, keys.int32_view(standings.points[done : done + size])
            )
            done += size
        self._parts.queue(pipe, "leagues", 2 * self.shards, standings.run, standings.seq, standings.update)
        pipe.execute()
