"""The team rules of the game (SCORING.md, "Team", "Chips" and "Transfers"), one function each, for
one team in plain Python.

scoring/teams.py (TeamBook) applies the same rules to every team at once with numpy; the API calls
these to check a roster and to explain, pick by pick, a number the engine stored, never to make one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scoring.chips import Chip
from scoring.rules import TeamRules

ByName = Mapping[str, Mapping[str, int]]  # {"drivers": {name: points}, "constructors": {name: points}}

# SCORING.md, "Transfers".
FREE_TRANSFERS_PER_WEEK = 2
MAX_CARRIED_TRANSFERS = 1
MAX_BANKED_TRANSFERS = 3
PENALTY_PER_EXTRA_TRANSFER = 10
FREE_TRANSFER_CHIPS = frozenset({Chip.WILDCARD, Chip.LIMITLESS})


@dataclass(frozen=True, slots=True)
class Picks:
    """A team's selection: its drivers, constructors and boosted driver."""

    drivers: tuple[str, ...]
    constructors: tuple[str, ...]
    boost_driver: str

    def assets(self) -> set[tuple[str, str]]:
        return {("driver", d) for d in self.drivers} | {("constructor", c) for c in self.constructors}


# -- Boost and Extra DRS ------------------------------------------------------------------------
def pick_multiplier(driver: str, boosted: str, extra_drs: str | None, rules: TeamRules) -> int:
    """SCORING.md, "Team": the boosted driver scores x`boost_multiplier` (2); "Chips", Extra DRS: one
    other driver scores x`extra_drs_multiplier` (3); every other pick x1."""
    if driver == boosted:
        return rules.boost_multiplier
    if driver == extra_drs:
        return rules.extra_drs_multiplier
    return 1


def extra_drs_driver(chosen: object, picks: Picks) -> str | None:
    """SCORING.md, "Chips", Extra DRS: the chip counts on a driver of the team who is not the boosted
    one; played on anyone else, it counts on nobody."""
    if isinstance(chosen, str) and chosen in picks.drivers and chosen != picks.boost_driver:
        return chosen
    return None


# -- Autopilot ----------------------------------------------------------------------------------
def autopilot_driver(drivers: Sequence[str], points: Mapping[str, int]) -> str:
    """SCORING.md, "Chips", Autopilot: the boost goes to the team's best-scoring driver of the weekend
    (`points`); of a tie, the first in roster order."""
    return max(drivers, key=lambda name: int(points.get(name, 0)))


def boosted_driver(picks: Picks, chip: Chip | None, driver_points: Mapping[str, int]) -> str:
    """Who the boost counts on: the chosen driver, or under Autopilot the best-scoring one."""
    return autopilot_driver(picks.drivers, driver_points) if chip is Chip.AUTOPILOT else picks.boost_driver


# -- No Negative --------------------------------------------------------------------------------
def counted_points(chip: Chip | None, points: ByName, positive: ByName) -> ByName:
    """SCORING.md, "Chips", No Negative: a team playing it counts each asset's positive items only
    (`positive`); any other team counts the assets' points as they are."""
    return positive if chip is Chip.NO_NEGATIVE else points


# -- Final Fix ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FinalFix:
    """SCORING.md, "Chips", Final Fix: one driver replaced between Qualifying and the Race."""

    out: str
    into: str


def final_fix_picks(picks: Picks, extra_drs: str | None, fix: FinalFix) -> tuple[Picks, str | None]:
    """The roster from the Race on: the new driver in the replaced one's place, with its boost and
    its Extra DRS if it had them."""
    drivers = tuple(fix.into if d == fix.out else d for d in picks.drivers)
    boost = fix.into if picks.boost_driver == fix.out else picks.boost_driver
    extra = fix.into if extra_drs == fix.out else extra_drs
    return Picks(drivers, picks.constructors, boost), extra


def final_fix_points(fix: FinalFix, points: int, before_race: Mapping[str, int]) -> tuple[int, int]:
    """A Final Fix team's two drivers in that place: (the new one's points from the Race on, the
    replaced one's points before it). `points` is the new driver's weekend points as counted."""
    return points - int(before_race.get(fix.into, 0)), int(before_race.get(fix.out, 0))


# -- Limitless and Wildcard ---------------------------------------------------------------------
def budget_applies(chip: Chip | None) -> bool:
    """SCORING.md, "Chips", Limitless: no budget for the week it is played."""
    return chip is not Chip.LIMITLESS


def reverts_after_lock(chip: Chip | None) -> bool:
    """Limitless lasts one weekend: once locked, the team goes back to its selection from before it
    (and that weekend's roster is no base for the next week's transfers)."""
    return chip is Chip.LIMITLESS


# -- Transfers ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PastWeek:
    free_transfers: int
    transfers: int


@dataclass(frozen=True, slots=True)
class WeekTransfers:
    transfers: int
    free_transfers: int
    penalty: int


def transfers_made(base: Picks, picks: Picks) -> int:
    """Assets in the new roster that were not in the base one (a swap of one for another is one)."""
    return len(picks.assets() - base.assets())


def free_after(week: PastWeek) -> int:
    """SCORING.md, "Transfers": 2 free a week, one unused carried over, at most 3 banked."""
    unused = max(0, week.free_transfers - week.transfers)
    return min(MAX_BANKED_TRANSFERS, FREE_TRANSFERS_PER_WEEK + min(MAX_CARRIED_TRANSFERS, unused))


def transfer_penalty(made: int, free: int, chip: Chip | None) -> int:
    """SCORING.md, "Transfers": 10 points off for each transfer beyond the free ones; none in a
    Wildcard or Limitless week ("Chips")."""
    return 0 if chip in FREE_TRANSFER_CHIPS else max(0, made - free) * PENALTY_PER_EXTRA_TRANSFER


def settle(base: Picks | None, picks: Picks, last: PastWeek | None, chip: Chip | str | None) -> WeekTransfers:
    """This week's transfers against the last locked roster (`base`); a team's first roster is free."""
    if base is None:
        return WeekTransfers(0, 0, 0)
    free = FREE_TRANSFERS_PER_WEEK if last is None else free_after(last)
    made = transfers_made(base, picks)
    return WeekTransfers(made, free, transfer_penalty(made, free, Chip(chip) if chip else None))


# -- A team's points, pick by pick --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PickScore:
    kind: str  # driver, constructor
    name: str
    points: int  # as the team counts them (No Negative: positive items only)
    multiplier: int
    total: int
    note: str | None = None  # Final Fix: "from the Race" or "before the Race"


def pick_scores(
    picks: Picks,
    extra_drs: str | None,
    chip: Chip | None,
    fix: FinalFix | None,
    weekend: ByName,
    positive: ByName,
    before_race: ByName,
    rules: TeamRules,
) -> list[PickScore]:
    """Each pick's weekend points, multiplier and total, every chip applied: what a team's points
    (before the transfer penalty) are the sum of. `picks` is the roster from the Race on (a Final
    Fix's new driver in place); `weekend`, `positive` and `before_race` the weekend's asset points in
    all, positive items only, and from the sessions before the Race."""
    counted = counted_points(chip, weekend, positive)
    boosted = boosted_driver(picks, chip, weekend.get("drivers", {}))
    early = before_race.get("drivers", {})
    scores = []
    for name in picks.drivers:
        weight = pick_multiplier(name, boosted, extra_drs, rules)
        points = int(counted.get("drivers", {}).get(name, 0))
        if fix is not None and name == fix.into:
            after, replaced = final_fix_points(fix, points, early)
            scores.append(PickScore("driver", name, after, weight, after * weight, "from the Race"))
            scores.append(
                PickScore("driver", fix.out, replaced, weight, replaced * weight, "before the Race")
            )
            continue
        scores.append(PickScore("driver", name, points, weight, points * weight))
    for name in picks.constructors:
        points = int(counted.get("constructors", {}).get(name, 0))
        scores.append(PickScore("constructor", name, points, 1, points))
    return scores


def team_points(scores: Sequence[PickScore]) -> int:
    """A team's weekend points before the transfer penalty: the sum of its picks' totals."""
    return sum(s.total for s in scores)
