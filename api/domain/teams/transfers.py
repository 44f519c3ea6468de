"""Transfers: 2 free a week, one unused carried over, at most 3 banked, 10 points for each extra. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.teams.picks import Picks

FREE_PER_WEEK = 2
MAX_CARRIED = 1
MAX_BANKED = 3
PENALTY_PER_EXTRA = 10
FREE_CHIPS = frozenset({"wildcard", "limitless"})


@dataclass(frozen=True, slots=True)
class PastWeek:
    free_transfers: int
    transfers: int


@dataclass(frozen=True, slots=True)
class WeekTransfers:
    transfers: int
    free_transfers: int
    penalty: int


def changes(base: Picks, picks: Picks) -> int:
    """Assets in the new roster that were not in the base one (a swap of one for another is one)."""
    return len(picks.assets() - base.assets())


def free_after(week: PastWeek) -> int:
    unused = max(0, week.free_transfers - week.transfers)
    return min(MAX_BANKED, FREE_PER_WEEK + min(MAX_CARRIED, unused))


def settle(base: Picks | None, picks: Picks, last: PastWeek | None, chip: str | None) -> WeekTransfers:
    """This week's transfers against the last locked roster (`base`); a team's first roster is free."""
    if base is None:
        return WeekTransfers(0, 0, 0)
    free = FREE_PER_WEEK if last is None else free_after(last)
    made = changes(base, picks)
    penalty = 0 if chip in FREE_CHIPS else max(0, made - free) * PENALTY_PER_EXTRA
    return WeekTransfers(made, free, penalty)
