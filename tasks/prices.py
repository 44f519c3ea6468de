"""Prices: the opening price list of a weekend no earlier week's prices move into (opening_prices),
and the price-change rule. After a weekend, each asset's price for the next race week moves with its
value for money that weekend, its points per million (weekend points / price).

| points per million | change, price >= 19.0 | change, price < 19.0 |
|---|---|---|
| 1.2 or more (great) | +0.3 | +0.6 |
| 0.9 to 1.2 (good)   | +0.1 | +0.2 |
| 0.6 to 0.9 (poor)   | -0.1 | -0.2 |
| below 0.6 (bad)     | -0.3 | -0.6 |

Expensive assets move in smaller steps, as in the official game (which averages three weekends;
this rule looks at one). Prices keep one decimal and never go below 3.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

Asset = tuple[str, str]  # (kind, name): ("driver", "VER"), ("constructor", "Ferrari")

EXPENSIVE_FROM = Decimal("19.0")
FLOOR = Decimal("3.0")
STEP = Decimal("0.1")
# (lowest points per million of the band, change when expensive, change otherwise), best band first.
BANDS = (
    (Decimal("1.2"), Decimal("0.3"), Decimal("0.6")),
    (Decimal("0.9"), Decimal("0.1"), Decimal("0.2")),
    (Decimal("0.6"), Decimal("-0.1"), Decimal("-0.2")),
)
BAD = (Decimal("-0.3"), Decimal("-0.6"))


def price_change(price: Decimal, points: int) -> Decimal:
    per_million = Decimal(points) / price
    expensive, cheap = next(((e, c) for low, e, c in BANDS if per_million >= low), BAD)
    return expensive if price >= EXPENSIVE_FROM else cheap


def next_price(price: Decimal, points: int) -> Decimal:
    return max(FLOOR, (price + price_change(price, points)).quantize(STEP))


def opening_prices(
    drivers: Sequence[str], constructors: Sequence[str], seed: int = 7
) -> dict[Asset, Decimal]:
    """A race week's prices when no earlier week's can move into it (a season's first weekend, a
    weekend nobody priced): a plausible spread like the official game's, a few stars and many cheap
    seats (drivers 4.5 to 30, constructors 5 to 30), the same for the same assets and seed."""
    rng = np.random.default_rng(seed)
    driver_prices = np.round((4.5 + 25.5 * rng.uniform(0, 1, len(drivers)) ** 2.5) * 10) / 10
    constructor_prices = np.round((5.0 + 25.0 * rng.uniform(0, 1, len(constructors)) ** 2) * 10) / 10
    driver_order = rng.permutation(len(drivers))
    constructor_order = rng.permutation(len(constructors))
    prices = {("driver", drivers[i]): Decimal(str(driver_prices[k])) for k, i in enumerate(driver_order)}
    prices.update(
        {
            ("constructor", constructors[i]): Decimal(str(constructor_prices[k]))
            for k, i in enumerate(constructor_order)
        }
    )
    return prices
