"""The Redis layout of live state, owned here alone: key names and how the packed arrays are encoded,
for the flow's writer (store/live.py) and the one reader (store/live_read.py).

Team-sized data is stored as packed little-endian arrays (one string per array) indexed by team
slot, so a window rewrites a million totals with one SET and a reader fetches one team's total
with GETRANGE. Small data is JSON.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt

from scoring.teams import RankTable

PREFIX = "gs"
INT32 = np.dtype("<i4")  # totals, ranks, league order/ranks/points: one per slot
TEAM_ID = np.dtype("<i8")  # team_ids: one per slot


def meeting_points(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:points"  # JSON, same shape as `gridscore score --json`


def meeting_sessions(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:sessions"  # hash session_key -> JSON session status


def session_assets(session_key: int) -> str:
    return f"{PREFIX}:s:{session_key}:assets"  # JSON {drivers: {..}, constructors: {..}} with breakdowns


def team_ids(meeting_key: int) -> str:
    """int64[N], ascending: slot -> team id; team id -> slot is a binary search over it (TEAM_SLOT_LUA)."""
    return f"{PREFIX}:m:{meeting_key}:team_ids"


def legacy_team_slots(meeting_key: int) -> str:
    """The hash team id -> slot that earlier versions kept beside team_ids (about 1 GB of Redis at
    ten million teams, 48-88 s to write): unlinked when an index is published, never read."""
    return f"{PREFIX}:m:{meeting_key}:team_slot"


def team_totals(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:totals"  # int32[N] weekend points by slot


def team_ranks(meeting_key: int) -> str:
    """int32[N] global rank by slot, as a sharded weekend's shards write them (each its slots); one
    process writes team_rank_table instead, and each removes the other's in its transaction."""
    return f"{PREFIX}:m:{meeting_key}:ranks"


def team_rank_table(meeting_key: int) -> str:
    """int32[1 + H]: the lowest total, then the global rank of each total from it up (RankTable):
    a team's rank is its total's entry (RANK_LUA), so a window writes a few KB, not 4 bytes a team
    (40 MB at ten million teams)."""
    return f"{PREFIX}:m:{meeting_key}:rank_table"


def league_index(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:league_index"  # hash league id -> "start,count"


def league_order(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:league_order"  # int32[M] slots, league by league, best first


def league_ranks(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:league_ranks"  # int32[M] rank of league_order[i] in its league


def league_points(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:league_points"  # int32[M] weekend points of league_order[i]


def meeting_version(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:version"  # increments on every window written


def totals_version(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:totals_version"  # the meeting version the team totals are of


def totals_points(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:totals_points"  # JSON: the points document the team totals are of


def league_version(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:league_version"  # the meeting version the league standings are of


def league_window_time(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:league_window_time"  # ISO time: the window_time of the leagues' version


def book_index_digest(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:index_digest"  # hash of the teams and leagues team_ids/slots index


def live_meetings() -> str:
    return f"{PREFIX}:meetings"  # set of meeting keys with live state


def updates_channel(meeting_key: int) -> str:
    return f"meeting:{meeting_key}"  # pub/sub: a small JSON note per window


def rejected_count() -> str:
    return f"{PREFIX}:ingest:rejected"  # hash reason category -> count


def session_order(session_key: int) -> str:
    return f"{PREFIX}:s:{session_key}:order"  # JSON: the session's running order (store/running_order.py)


def meeting_window_time(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:window_time"  # ISO time: the session clock of the meeting's version


def totals_window_time(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:totals_window_time"  # ISO time: the window_time of the totals' version


def part_writers(meeting_key: int, part: str) -> str:
    """Hash: per window of a sharded weekend, how many of its writers wrote `part` (store/live_shards.py)."""
    return f"{PREFIX}:m:{meeting_key}:{part}_writers"


def whole_window(meeting_key: int) -> str:
    """ "run:window" of the newest window a shard wrote its places of the leagues of every team for."""
    return f"{PREFIX}:m:{meeting_key}:whole_window"


def api_writes_channel() -> str:
    return (
        f"{PREFIX}:api:writes"  # pub/sub: a player's write through the API (what hot reads kept may be old)
    )


def inbox_channel(user_id: int) -> str:
    return f"notifications:{user_id}"  # pub/sub: a user's inbox changed (a row written or read)


# -- packed arrays --------------------------------------------------------------------
def pack_int32(values: npt.ArrayLike) -> bytes:
    return np.asarray(values).astype(INT32).tobytes()


def int32_view(values: npt.ArrayLike) -> bytes:
    """pack_int32's bytes for a Redis write, without copying an array that is already int32: a
    memoryview, which redis-py sends as it is (its stubs say bytes, hence the cast); at ten million
    teams each copy of a 40 MB array cost 50-200 ms a window."""
    array = np.ascontiguousarray(values, dtype=INT32)
    return cast(bytes, array.view(np.uint8).data)


def pack_rank_table(table: RankTable) -> bytes:
    return pack_int32(np.r_[np.int32(table.low), table.ranks])


def ranks_from_table(raw: bytes, totals: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Every team's rank from a packed rank table and their totals (what RANK_LUA does for one)."""
    table = unpack_int32(raw)
    return table[1:][np.subtract(totals, table[0], dtype=np.intp)]


def ranks_as_read(totals: bytes | None, ranks: bytes | None, table: bytes | None) -> bytes:
    """Every team's packed rank as the readers find them (RANK_LUA): from the rank table where there
    is one, else the ranks by slot; what tests and benchmarks compare between layouts."""
    if not table:
        return ranks or b""
    return pack_int32(ranks_from_table(table, unpack_int32(totals or b"")))


def pack_team_ids(team_ids: npt.ArrayLike) -> bytes:
    return np.asarray(team_ids).astype(TEAM_ID).tobytes()


def unpack_int32(raw: bytes) -> npt.NDArray[np.int32]:
    """Every whole int32 of `raw` (a GET or GETRANGE reply; a short reply is empty)."""
    return np.frombuffer(raw, INT32, count=len(raw) // INT32.itemsize)


def unpack_team_ids(raw: bytes) -> npt.NDArray[np.int64]:
    return np.frombuffer(raw, TEAM_ID, count=len(raw) // TEAM_ID.itemsize)


def int32_bytes(first: int, last: int) -> tuple[int, int]:
    """GETRANGE's (start, end), both inclusive, of slots first..last-1 of an int32 array."""
    return first * INT32.itemsize, last * INT32.itemsize - 1


def team_id_bytes(slot: int) -> tuple[int, int]:
    """GETRANGE's (start, end) of one slot of team_ids."""
    return slot * TEAM_ID.itemsize, (slot + 1) * TEAM_ID.itemsize - 1


def team_id_args(team_id: int) -> tuple[int, int]:
    """A team id as TEAM_SLOT_LUA takes it: (high 32 bits, signed; low 32 bits, unsigned). Lua's
    numbers are doubles, exact to 2**53: two halves keep every int64 id exact."""
    return team_id >> 32, team_id & 0xFFFFFFFF


# Lua for scripts that read a team by id: `slot_of(key, hi, lo)` is the slot of the team whose id
# is (hi, lo) (team_id_args) in the sorted packed team_ids at `key`, or nil. A binary search of
# log2(N) GETRANGEs (24 at ten million teams) inside the script, so a read stays one round trip
# with no team id -> slot hash to write or hold.
TEAM_SLOT_LUA = """
local function int64_halves(raw)
  local a, b, c, d, e, f, g, h = string.byte(raw, 1, 8)
  local high = e + f * 256 + g * 65536 + h * 16777216
  if high >= 2147483648 then high = high - 4294967296 end
  return high, a + b * 256 + c * 65536 + d * 16777216
end
local function slot_of(key, hi, lo)
  local lo_slot, hi_slot = 0, math.floor(redis.call('STRLEN', key) / 8)
  while lo_slot < hi_slot do
    local mid = math.floor((lo_slot + hi_slot) / 2)
    local h, l = int64_halves(redis.call('GETRANGE', key, mid * 8, mid * 8 + 7))
    if h < hi or (h == hi and l < lo) then lo_slot = mid + 1 else hi_slot = mid end
  end
  local raw = redis.call('GETRANGE', key, lo_slot * 8, lo_slot * 8 + 7)
  if #raw ~= 8 then return nil end
  local h, l = int64_halves(raw)
  if h == hi and l == lo then return lo_slot end
  return nil
end
"""


# Lua for scripts that read packed int32s and a team's rank: `int32_of(raw)` decodes one, and
# `rank_at(table, ranks, slot, total)` is the 4 packed bytes of the rank of a team at `slot` whose
# packed total is `total`: its total's entry in the rank table at key `table` where there is one
# (one process), else its slot of the per-slot ranks at key `ranks` (shards); '' when missing.
RANK_LUA = """
local function int32_of(raw)
  local a, b, c, d = string.byte(raw, 1, 4)
  local v = a + b * 256 + c * 65536 + d * 16777216
  if v >= 2147483648 then v = v - 4294967296 end
  return v
end
local function rank_at(table, ranks, slot, total)
  local low = redis.call('GETRANGE', table, 0, 3)
  if #low ~= 4 then return redis.call('GETRANGE', ranks, slot * 4, slot * 4 + 3) end
  if #total ~= 4 then return '' end
  local at = (int32_of(total) - int32_of(low) + 1) * 4
  if at < 4 then return '' end
  return redis.call('GETRANGE', table, at, at + 3)
end
"""


def league_segment(start: int, count: int) -> str:
    """A league's entry in league_index: where its members start in league_order, how many they are."""
    return f"{start},{count}"


def parse_league_segment(raw: bytes) -> tuple[int, int]:
    start, count = raw.decode().split(",")
    return int(start), int(count)


def page_of(count: int, offset: int, limit: int) -> tuple[int, int]:
    """Members first..last-1 of a league of `count` for a page: offset and limit clamped into it."""
    first = max(0, min(offset, count))
    return first, min(count, first + max(0, limit))
