"""Request and response bodies of the teams domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from api.lib.text import Name, check_name
from api.lib.wording import pattern
from scoring.chips import Chip  # the game's enum, named once; here for the request and response bodies

DriverCode = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=3,
        pattern=pattern(r"^[A-Z]{3}$", "a driver's three-letter code in capitals, like VER"),
    ),
]


class TeamIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name

    def __post_init__(self) -> None:
        check_name("name", self.name)


class RosterIn(msgspec.Struct, forbid_unknown_fields=True):
    drivers: Annotated[list[DriverCode], msgspec.Meta(max_length=10)]
    constructors: Annotated[list[Name], msgspec.Meta(max_length=10)]
    boost_driver: DriverCode

    def __post_init__(self) -> None:
        for constructor in self.constructors:
            check_name("a constructor's name", constructor)


class ChipIn(msgspec.Struct, forbid_unknown_fields=True):
    chip: Chip
    extra_drs_driver: DriverCode | None = None  # Extra DRS: the driver scoring x3
    out_driver: DriverCode | None = None  # Final Fix: the driver replaced
    in_driver: DriverCode | None = None  # Final Fix: the driver coming in


class TeamOut(msgspec.Struct):
    id: int
    name: str
    user_id: int
    created_at: datetime


class SelectionOut(msgspec.Struct):
    drivers: list[str]
    constructors: list[str]
    boost_driver: str
    extra_drs_driver: str | None
    cost: float
    budget: float | None  # None during a Limitless week
    budget_left: float | None


class WeekOut(msgspec.Struct):
    meeting_key: int
    locked: bool
    lock_at: datetime | None
    transfers: int  # assets changed since the last locked roster
    free_transfers: int
    penalty: int  # points deducted: 10 for each transfer beyond the free ones
    chip: str | None


class ChipOut(msgspec.Struct):
    chip: str
    season: int
    meeting_key: int
    detail: dict[str, Any]
    played_at: datetime
    applied_by_engine: bool  # False: recorded, but the scoring flow does not apply it yet


class TeamDetail(msgspec.Struct):
    id: int
    name: str
    user_id: int
    created_at: datetime
    selection: SelectionOut | None
    week: WeekOut | None
    chips: list[ChipOut]
    leagues: list[int]


class RosterPreviewOut(msgspec.Struct):
    meeting_key: int
    valid: bool  # saving these picks would be accepted (but for a locked weekend)
    problems: list[str]  # what is wrong with them, in words; empty when valid
    cost: float
    budget: float | None  # None during a Limitless week
    budget_left: float | None
    transfers: int  # assets changed since the last locked roster
    free_transfers: int
    penalty: int  # points the week's transfers would cost
    locked: bool  # the weekend is locked: the picks cannot be saved now


class ChipRuleOut(msgspec.Struct):
    chip: str
    description: str
    when: str  # before_lock or after_qualifying


class RulesOut(msgspec.Struct):
    ruleset: str
    drivers: int  # per roster
    constructors: int  # per roster
    budget: float
    boost_multiplier: int
    extra_drs_multiplier: int
    free_transfers_per_week: int
    max_carried_transfers: int  # unused free transfers carried to the next week, at most
    max_banked_transfers: int
    penalty_per_extra_transfer: int
    max_teams_per_player: int
    chips: list[ChipRuleOut]
