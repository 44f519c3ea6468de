"""Request and response bodies of the leagues domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.lib.params import INT8_MAX
from api.lib.text import Name, check_name
from api.lib.wording import pattern
from scoring.rules import DEFAULT_RULESET

RulesetName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=50,
        pattern=pattern(r"^[a-z0-9][a-z0-9._-]*$", f"the name of a rule set, like {DEFAULT_RULESET}"),
    ),
]
InviteCode = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=32,
        pattern=pattern(r"^[A-Za-z0-9_-]+$", "an invite code: letters, digits, - and _ only"),
    ),
]
TeamRef = Annotated[int, msgspec.Meta(ge=1, le=INT8_MAX)]


class LeagueIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    max_teams: Annotated[int, msgspec.Meta(ge=2, le=100_000)] = 50
    ruleset: RulesetName = DEFAULT_RULESET
    is_public: bool = False

    def __post_init__(self) -> None:
        check_name("name", self.name)


class LeagueRenameIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name

    def __post_init__(self) -> None:
        check_name("name", self.name)


class OwnerIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Annotated[
        int, msgspec.Meta(ge=1, le=INT8_MAX, description="the new owner: a player in the league")
    ]


class TeamJoinIn(msgspec.Struct, forbid_unknown_fields=True):
    team_id: TeamRef


class JoinIn(msgspec.Struct, forbid_unknown_fields=True):
    invite_code: InviteCode
    team_id: TeamRef


class LeagueOut(msgspec.Struct):
    id: int
    name: str
    owner_id: int | None
    is_public: bool
    is_global: bool
    max_teams: int | None
    ruleset: str
    teams: int
    invite_code: str | None  # shown to the owner and members, and for public leagues
    created_at: datetime


class MemberOut(msgspec.Struct):
    team_id: int
    team_name: str
    display_name: str  # the team's player, by name only
    mine: bool  # the team is one of the caller's
