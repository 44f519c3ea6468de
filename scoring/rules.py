"""Rule sets are data: a TOML file per named, versioned rule set, decoded into typed structs."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import msgspec

RULESET_DIR = Path(__file__).parent / "rulesets"
DEFAULT_RULESET = "f1fantasy-2025"  # the one place the default rule set is named in code


class QualifyingRules(msgspec.Struct, frozen=True):
    positions: tuple[int, ...]
    no_time: int
    disqualified: int


class RunningSessionRules(msgspec.Struct, frozen=True):
    """Rules of a session that is raced from a grid (Sprint or Race)."""

    positions: tuple[int, ...]
    place_gained: int
    overtake: int
    fastest_lap: int
    driver_of_the_day: int
    not_classified: int
    disqualified: int


class ConstructorRules(msgspec.Struct, frozen=True):
    q2_reached: tuple[int, int, int]
    q3_reached: tuple[int, int, int]
    q2_cutoff: int
    q3_cutoff: int
    qualifying_disqualified: int
    race_disqualified: int
    sprint_disqualified: int
    pit_stop_bands: tuple[tuple[float, int], ...]
    fastest_pit_stop: int
    world_record_pit_stop: int
    world_record_seconds: float


class TeamRules(msgspec.Struct, frozen=True):
    drivers: int
    constructors: int
    budget: float
    boost_multiplier: int
    extra_drs_multiplier: int


class RuleSet(msgspec.Struct, frozen=True):
    name: str
    version: int
    qualifying: QualifyingRules
    sprint: RunningSessionRules
    race: RunningSessionRules
    constructor: ConstructorRules
    team: TeamRules


def available_rulesets() -> list[str]:
    return sorted(p.stem for p in RULESET_DIR.glob("*.toml"))


def load_ruleset(name: str | None = None) -> RuleSet:
    """Load a named rule set (None: DEFAULT_RULESET, what an unset GRIDSCORE_RULESET means); unknown
    names raise KeyError listing the known ones."""
    return _load_ruleset(name or DEFAULT_RULESET)


@cache
def _load_ruleset(name: str) -> RuleSet:
    path = RULESET_DIR / f"{name}.toml"
    if not path.is_file():
        raise KeyError(f"unknown rule set {name!r}; known: {', '.join(available_rulesets())}")
    with path.open("rb") as fh:
        return msgspec.convert(tomllib.load(fh), RuleSet)
