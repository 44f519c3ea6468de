"""Points of every driver and constructor in one session, itemised, from its facts.

Provisional while a session runs (as if it ended in the current running order, scoring/order.py's
places: one car a place), final once
its classification has landed. Pure functions of (facts, rule set).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring.facts import Classification, SessionFacts, SessionKind, lap_before
from scoring.order import running_positions
from scoring.rules import ConstructorRules, RuleSet, RunningSessionRules


@dataclass(slots=True)
class AssetPoints:
    """An asset's points in a session: the total and the items that make it up."""

    breakdown: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.breakdown.values())

    def add(self, item: str, points: int) -> None:
        """Items worth nothing are left out, also where two cars' items cancel (a constructor's `places`
        of +2 and -2), so a breakdown lists only what moved the total."""
        if not points:
            return
        value = self.breakdown.get(item, 0) + points
        if value:
            self.breakdown[item] = value
        else:
            del self.breakdown[item]

    def as_dict(self) -> dict[str, object]:
        return {"total": self.total, "breakdown": dict(sorted(self.breakdown.items()))}


@dataclass(slots=True)
class SessionPoints:
    session_key: int
    meeting_key: int | None
    kind: SessionKind
    final: bool
    drivers: dict[str, AssetPoints]
    constructors: dict[str, AssetPoints]


_DRIVER_ONLY_ITEMS = frozenset({"driver_of_the_day"})


def score_session(facts: SessionFacts, rules: RuleSet) -> SessionPoints:
    """Score every entrant of the session and derive the constructors from them."""
    if facts.kind is SessionKind.QUALIFYING:
        drivers = _score_qualifying(facts, rules)
    elif facts.kind is SessionKind.RACE:
        drivers = _score_running(facts, rules.race)
    elif facts.kind is SessionKind.SPRINT:
        drivers = _score_running(facts, rules.sprint)
    else:  # Sprint Qualifying only sets the Sprint grid; other sessions score nothing.
        drivers = {}
    constructors = _score_constructors(facts, rules, drivers)
    named = {
        facts.entrants[number].acronym: points
        for number, points in drivers.items()
        if number in facts.entrants
    }
    return SessionPoints(
        session_key=facts.session_key,
        meeting_key=facts.meeting_key,
        kind=facts.kind,
        final=facts.is_classified,
        drivers=named,
        constructors=constructors,
    )


# -- drivers ------------------------------------------------------------------
def _score_qualifying(facts: SessionFacts, rules: RuleSet) -> dict[int, AssetPoints]:
    table = rules.qualifying.positions
    scored: dict[int, AssetPoints] = {}
    for number, result in facts.classification().items():
        points = AssetPoints()
        if result.dsq:
            points.add("disqualified", rules.qualifying.disqualified)
        elif result.position is None or result.dns:
            points.add("no_time", rules.qualifying.no_time)
        elif result.position <= len(table):
            points.add("position", table[result.position - 1])
        scored[number] = points
    for number in facts.entrants:
        scored.setdefault(number, AssetPoints())
    return scored


def _score_running(facts: SessionFacts, rules: RunningSessionRules) -> dict[int, AssetPoints]:
    results = facts.classification()
    overtakes = facts.overtake_counts()
    fastest = fastest_lap_holder(facts, results)
    running = running_positions(facts)  # the running order's places: two cars never share one
    scored: dict[int, AssetPoints] = {}
    for number in facts.entrants:
        points = AssetPoints()
        result = results.get(number)
        if result is not None:
            _add_classified(points, rules, result, facts.grid.get(number))
        elif number in running:
            _add_finishing_place(points, rules, running[number], facts.grid.get(number))
        points.add("overtakes", overtakes.get(number, 0) * rules.overtake)
        if number == fastest:
            points.add("fastest_lap", rules.fastest_lap)
        if number == facts.driver_of_the_day:
            points.add("driver_of_the_day", rules.driver_of_the_day)
        scored[number] = points
    return scored


def _add_classified(
    points: AssetPoints, rules: RunningSessionRules, result: Classification, grid: int | None
) -> None:
    if result.dsq:
        points.add("disqualified", rules.disqualified)
    elif result.dnf or result.dns or result.position is None:
        points.add("not_classified", rules.not_classified)
    else:
        _add_finishing_place(points, rules, result.position, grid)


def _add_finishing_place(
    points: AssetPoints, rules: RunningSessionRules, position: int, grid: int | None
) -> None:
    if 1 <= position <= len(rules.positions):
        points.add("position", rules.positions[position - 1])
    if grid is not None:
        points.add("places", (grid - position) * rules.place_gained)


def fastest_lap_holder(facts: SessionFacts, results: dict[int, Classification]) -> int | None:
    """Lowest completed lap time; the earlier lap wins a tie; a disqualified car cannot hold it."""
    holder: int | None = None
    for number, lap in facts.best_lap.items():
        result = results.get(number)
        if result is not None and result.dsq:
            continue
        if holder is None or lap_before(lap, facts.best_lap[holder]):
            holder = number
    return holder


# -- constructors -------------------------------------------------------------
def _score_constructors(
    facts: SessionFacts, rules: RuleSet, drivers: dict[int, AssetPoints]
) -> dict[str, AssetPoints]:
    cars: dict[str, list[int]] = {}
    for number, entrant in facts.entrants.items():
        cars.setdefault(entrant.team_name, []).append(number)
    if facts.kind not in (SessionKind.QUALIFYING, SessionKind.SPRINT, SessionKind.RACE):
        return {team: AssetPoints() for team in cars}
    results = facts.classification()
    pit_points = _pit_stop_points(facts, rules.constructor) if facts.kind is SessionKind.RACE else {}
    scored: dict[str, AssetPoints] = {}
    for team, numbers in cars.items():
        points = AssetPoints()
        for number in numbers:
            for item, value in drivers.get(number, AssetPoints()).breakdown.items():
                if item not in _DRIVER_ONLY_ITEMS:
                    points.add(item, value)
        team_results = [results[n] for n in numbers if n in results]
        disqualified = sum(1 for r in team_results if r.dsq)
        if facts.kind is SessionKind.QUALIFYING:
            if team_results:
                points.add("qualifying_progress", _progress_bonus(team_results, rules.constructor))
            points.add("team_disqualified", disqualified * rules.constructor.qualifying_disqualified)
        elif facts.kind is SessionKind.RACE:
            points.add("team_disqualified", disqualified * rules.constructor.race_disqualified)
            for item, value in pit_points.get(team, {}).items():
                points.add(item, value)
        else:
            points.add("team_disqualified", disqualified * rules.constructor.sprint_disqualified)
        scored[team] = points
    return scored


def _progress_bonus(results: list[Classification], rules: ConstructorRules) -> int:
    def reached(cutoff: int) -> int:
        return sum(1 for r in results if not r.dsq and r.position is not None and r.position <= cutoff)

    in_q3 = reached(rules.q3_cutoff)
    if in_q3:
        return rules.q3_reached[min(in_q3, 2)]
    return rules.q2_reached[min(reached(rules.q2_cutoff), 2)]


def _pit_stop_points(facts: SessionFacts, rules: ConstructorRules) -> dict[str, dict[str, int]]:
    best: dict[str, float] = {}
    for number, stop in facts.pit_stops.values():
        entrant = facts.entrants.get(number)
        if entrant is None or stop is None or stop <= 0:
            continue
        if entrant.team_name not in best or stop < best[entrant.team_name]:
            best[entrant.team_name] = stop
    if not best:
        return {}
    overall = min(best.values())
    awarded: dict[str, dict[str, int]] = {}
    for team, stop in best.items():
        items = {"pit_stop": next((pts for bound, pts in rules.pit_stop_bands if stop < bound), 0)}
        if stop == overall:
            items["fastest_pit_stop"] = rules.fastest_pit_stop
        if stop < rules.world_record_seconds:
            items["world_record_pit_stop"] = rules.world_record_pit_stop
        awarded[team] = items
    return awarded
