"""The price-change rule: after a weekend, each asset's price for the next race week moves with its
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

from decimal import Decimal

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
