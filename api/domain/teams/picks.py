"""Is a roster legal: 5 distinct drivers, 2 distinct constructors, priced this week, within budget,
the boosted driver among the drivers. Pure; every problem is listed with what to change. A roster
(Picks) is the game's type, from scoring.team_rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from api.errors import ErrorCode, Invalid
from scoring.rules import TeamRules
from scoring.team_rules import Picks

__all__ = ["Picks", "check_picks", "roster_cost"]


def roster_cost(picks: Picks, prices: Mapping[tuple[str, str], Decimal]) -> Decimal:
    return sum((prices.get(asset, Decimal(0)) for asset in picks.assets()), Decimal(0))


def check_picks(
    drivers: Sequence[str],
    constructors: Sequence[str],
    boost_driver: str,
    prices: Mapping[tuple[str, str], Decimal],
    rules: TeamRules,
    *,
    budget_applies: bool = True,
) -> Picks:
    problems: list[str] = []
    if len(drivers) != rules.drivers or len(set(drivers)) != len(drivers):
        problems.append(f"pick {rules.drivers} different drivers (you sent {len(set(drivers))} different)")
    if len(constructors) != rules.constructors or len(set(constructors)) != len(constructors):
        problems.append(
            f"pick {rules.constructors} different constructors (you sent {len(set(constructors))} different)"
        )
    unknown = [d for d in drivers if ("driver", d) not in prices]
    unknown += [c for c in constructors if ("constructor", c) not in prices]
    if unknown:
        problems.append(f"not on sale this week: {', '.join(unknown)} (GET /api/assets lists what is)")
    if boost_driver not in drivers:
        problems.append(f"the boosted driver {boost_driver} must be one of your drivers")
    picks = Picks(tuple(drivers), tuple(constructors), boost_driver)
    cost = roster_cost(picks, prices)
    budget = Decimal(str(rules.budget))
    if budget_applies and not unknown and cost > budget:
        problems.append(f"costs {cost} but the budget is {budget}: take {cost - budget} off")
    if problems:
        raise Invalid("; ".join(problems), code=ErrorCode.ROSTER_INVALID, extra={"problems": problems})
    return picks
