"""Redis key layout of live state, shared by the flow's writer and the API's readers.

Team-sized data is stored as packed little-endian arrays (one string per array) indexed by team
slot, so a window rewrites a million totals with one SET and a reader fetches one team's total
with GETRANGE. Small data is JSON.
"""

from __future__ import annotations

PREFIX = "gs"


def meeting_points(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:points"  # JSON, same shape as `gridscore score --json`


def meeting_sessions(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:sessions"  # hash session_key -> JSON session status


def session_assets(session_key: int) -> str:
    return f"{PREFIX}:s:{session_key}:assets"  # JSON {drivers: {..}, constructors: {..}} with breakdowns


def team_ids(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:team_ids"  # int64[N], ascending: slot -> team id


def team_slots(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:team_slot"  # hash team id -> slot


def team_totals(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:totals"  # int32[N] weekend points by slot


def team_ranks(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:ranks"  # int32[N] global rank by slot


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


def book_index_digest(meeting_key: int) -> str:
    return f"{PREFIX}:m:{meeting_key}:index_digest"  # hash of the teams and leagues team_ids/slots index


def live_meetings() -> str:
    return f"{PREFIX}:meetings"  # set of meeting keys with live state


def updates_channel(meeting_key: int) -> str:
    return f"meeting:{meeting_key}"  # pub/sub: a small JSON note per window


def league_channel(league_id: int) -> str:
    return f"league:{league_id}"


def rejected_count() -> str:
    return f"{PREFIX}:ingest:rejected"  # hash reason category -> count
