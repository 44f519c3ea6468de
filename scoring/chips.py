"""The game's chips, named once (SCORING.md, "Chips"): the engine's team totals, the store's rosters,
the API's requests and its OpenAPI schema all use this enum, never the raw strings."""

from __future__ import annotations

from enum import StrEnum


class Chip(StrEnum):
    WILDCARD = "wildcard"  # unlimited free transfers for a week, within budget
    LIMITLESS = "limitless"  # unlimited free transfers and no budget for a week; the team reverts after
    EXTRA_DRS = "extra_drs"  # a second driver scores x3 for the weekend
    AUTOPILOT = "autopilot"  # the boost goes to the best-scoring driver
    NO_NEGATIVE = "no_negative"  # negative points count as zero
    FINAL_FIX = "final_fix"  # one driver change between Qualifying and the Race


def chip_of(name: str | None) -> Chip | None:
    """A stored chip name as the enum (None or '' for no chip); an unknown name raises ValueError."""
    return Chip(name) if name else None
