"""A session's running order: where each car is now, from the facts the flow already holds.

Live, a car's place is its newest OpenF1 position (the same one provisional points are scored
from); once the official classification lands for a car, its place is the classified one. Cars
with no place yet (no position message, not classified) come last, in grid order, then by car
number. Pure data, no I/O.

OpenF1's position messages say where one car is at one moment; the others' are not restated, so
newest positions collide (a lap-by-lap feed: the car that passed crosses the line first and claims
the place its victim claimed a lap ago; Silverstone 2023's Race has 790 such moments). A place goes
to the car that claimed it last, and a car whose claim is older moves down to the next place free,
keeping the order of the claims: every running place is unique and nobody moves up on a guess.
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


def running_positions(facts: SessionFacts) -> dict[int, int]:
    """Each unclassified car's running place, unique: claims in order of place, the newer claim of a
    place first (then the car number, so equal dates are deterministic); each car takes the first
    place at or after its claim that neither a classified car nor a car before it holds."""
    classification = facts.classification()
    taken = {
        result.position
        for result in classification.values()
        if result.position is not None and not (result.dsq or result.dns)
    }
    claims = sorted(
        (position, -date.timestamp(), number)
        for number, (date, position) in facts.running_position.items()
        if number not in classification
    )
    places: dict[int, int] = {}
    floor = 0
    for claimed, _, number in claims:
        place = max(claimed, floor)
        while place in taken:
            place += 1
        places[number] = place
        taken.add(place)
        floor = place + 1
    return places


def running_order(facts: SessionFacts) -> tuple[Place, ...]:
    """Every entrant of the session, first place first."""
    classification = facts.classification()
    running = running_positions(facts)
    places: list[Place] = []
    for number, entrant in facts.entrants.items():
        result = classification.get(number)
        if result is not None:
            position = None if (result.dsq or result.dns) else result.position
            classified = True
        else:
            position = running.get(number)
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
