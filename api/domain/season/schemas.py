"""Bodies of season-long reads: standings over the final weekends, and each asset's season points."""

from __future__ import annotations

import msgspec


class SeasonStandingOut(msgspec.Struct):
    rank: int
    team_id: int
    team_name: str | None
    points: int  # the sum of the team's final weekends, transfer penalties taken off
    weekends: int  # final weekends the team was scored in


class SeasonStandingsOut(msgspec.Struct):
    league_id: int
    season: int
    final_weekends: int  # weekends of the season whose Race is final (the ones counted)
    count: int  # teams in the table
    offset: int
    limit: int
    standings: list[SeasonStandingOut]


class AssetSessionOut(msgspec.Struct):
    session_key: int
    name: str | None  # Qualifying, Sprint Qualifying, Sprint, Race
    points: int  # the asset's points in the session
    position: int | None  # classified position (a constructor: its best-placed car); None if not classified


class AssetWeekendOut(msgspec.Struct):
    meeting_key: int
    points: int  # the asset's points over the weekend's final sessions
    position: int | None = None  # finishing position in the Race (a constructor: its best car); None before
    sessions: list[AssetSessionOut] = msgspec.field(default_factory=list)  # each final session, in order


class AssetSeasonOut(msgspec.Struct):
    kind: str
    name: str
    points: int  # season total over final sessions
    weekends: list[AssetWeekendOut]


class AssetsSeasonOut(msgspec.Struct):
    season: int
    drivers: list[AssetSeasonOut]
    constructors: list[AssetSeasonOut]
