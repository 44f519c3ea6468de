"""A session's running order: where each car is now, from the facts the flow already holds.

Live, a car's place is its newest OpenF1 position (the same one provisional points are scored
from); once the official classification lands for a car, its place is the classified one. Cars
with no place yet (no position message, not classified) come last, in grid order, then by car
number. Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.facts import SessionFacts

UNPLACED = 10_000  # sorts cars with no place after every placed one


@dataclass(frozen=True, slots=True)
class Place:
    """One car's line of the running order."""

    position: int | None  # None: no position yet, or classified without one (DNF, DNS, DSQ)
    driver_number: int
    code: str  # the three-letter acronym, the asset name of the fantasy game
    name: str
    constructor: str
    classified: bool  # the position is the official classification's, not a running one


def running_order(facts: SessionFacts) -> tuple[Place, ...]:
    """Every entrant of the session, first place first."""
    classification = facts.classification()
    places: list[Place] = []
    for number, entrant in facts.entrants.items():
        result = classification.get(number)
        if result is not None:
            position = None if (result.dsq or result.dns) else result.position
            classified = True
        else:
            running = facts.running_position.get(number)
            position = running[1] if running is not None else None
            classified = False
        places.append(
            Place(position, number, entrant.acronym, entrant.full_name, entrant.team_name, classified)
        )
    places.sort(
        key=lambda p: (
            p.position if p.position is not None else UNPLACED,
            facts.grid.get(p.driver_number, UNPLACED),
            p.driver_number,
        )
    )
    return tuple(places)


def finishing_positions(order: tuple[Place, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """Classified positions by driver code, and each constructor's best-placed car: what a final
    session's results keep. Cars with no classified position are left out."""
    drivers: dict[str, int] = {}
    constructors: dict[str, int] = {}
    for place in order:
        if not place.classified or place.position is None:
            continue
        drivers[place.code] = place.position
        best = constructors.get(place.constructor)
        if best is None or place.position < best:
            constructors[place.constructor] = place.position
    return drivers, constructors
