"""Response bodies of the standings domain: live and final scores (reads only; nothing is scored here)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class AsOfOut(msgspec.Struct):
    """Which state of the live scores a body shows: `version` counts the engine's scoring windows for the
    meeting (it only grows); a live stream's event `id` is the same number. `window_time` is the session
    clock (the timing feed's own time, UTC) at which the newest window that state includes closed (a
    running order: its own session's): how far into the weekend the body is, whatever the delay between
    the track and the screen."""

    version: int | None
    window_time: datetime | None = None


class AssetScoreOut(msgspec.Struct):
    kind: str
    name: str
    points: int  # the asset's weekend points so far
    multiplier: int  # 2 for the boosted driver (Autopilot: the best-scoring one), 3 for Extra DRS, else 1
    team_points: int  # counted points * multiplier (No Negative: positive items only)
    part: str | None = None  # Final Fix: "before the Race" (the driver replaced) or "from the Race"


class TeamScoreOut(msgspec.Struct):
    team_id: int
    meeting_key: int
    points: int  # the team's weekend points before the transfer penalty
    rank: int  # among every team, by net points
    transfer_penalty: int
    net_points: int  # points - transfer_penalty: the total the scoring flow ranks by
    assets: list[AssetScoreOut]
    source: str = "live"  # live while the weekend is scored, final once its Race's results are final
    chip: str | None = None  # the chip played this weekend, if any
    final: bool = False  # the Race's results are final: these points will not change
    as_of: AsOfOut | None = None


class StandingOut(msgspec.Struct):
    rank: int
    team_id: int
    team_name: str | None
    points: int


class LeaderboardOut(msgspec.Struct):
    league_id: int
    meeting_key: int
    source: str  # live (Redis) or final (Postgres)
    session_key: int | None  # final: the last final session the standings are after
    count: int  # teams in the league's standings
    offset: int
    limit: int
    standings: list[StandingOut]
    final: bool = False  # the Race's results are final
    as_of: AsOfOut | None = None  # live standings: the state they are of


class WeekendOut(msgspec.Struct):
    meeting_key: int
    meeting_name: str | None
    final: bool  # the Race's results are final
    session_key: int | None  # the last final session of the weekend with results for the team
    points: int | None  # before the transfer penalty, as in GET .../score
    rank: int | None  # among every team
    transfer_penalty: int
    chip: str | None
    drivers: list[str]
    constructors: list[str]
    boost_driver: str
    extra_drs_driver: str | None
    net_points: int | None = None  # points - transfer_penalty: what ranks and season tables count


class HistoryOut(msgspec.Struct):
    team_id: int
    weekends: list[WeekendOut]


class AssetPointsOut(msgspec.Struct):
    kind: str
    name: str
    points: int
    breakdown: dict[str, int]


class SessionPointsOut(msgspec.Struct):
    session_key: int
    meeting_key: int | None
    name: str | None
    source: str  # final (Postgres) or live (Redis)
    final: bool
    drivers: list[AssetPointsOut]
    constructors: list[AssetPointsOut]
    as_of: AsOfOut | None = None  # live points: the state they are of (final ones have none)
