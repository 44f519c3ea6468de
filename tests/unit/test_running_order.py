"""scoring/order.py: a session's running order from its facts (the newest position of each car, the
classification once it lands, cars with no place last by grid then number; a place claimed by two
cars goes to the newer claim, the older moves down), and the finishing positions the final results
keep (a constructor's: its best-placed car's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dataflows.scoring_steps import StatePolicy, WindowBatch, session_logic
from dataflows.state_limits import StateBudget
from ingest.decode import Message
from ingest.recorded import iter_lines
from scoring.facts import Classification, Entrant, SessionFacts
from scoring.order import finishing_positions, running_order
from scoring.rules import load_ruleset
from scoring.weekend import SessionUpdate
from tests.scratch import decode_all
from tests.unit.test_session_state import ENGINE, MEETING, START, msg

T0 = datetime(2099, 5, 3, 14, 0, tzinfo=UTC)
CARS = {
    1: ("AAA", "Alpha"),
    2: ("AAB", "Alpha"),
    3: ("BBA", "Bravo"),
    4: ("BBB", "Bravo"),
    5: ("CCA", "Charlie"),
}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def race() -> SessionFacts:
    facts = SessionFacts(session_key=1)
    facts.describe(10, "Race", T0, T0 + timedelta(hours=2))
    for number, (code, team) in CARS.items():
        facts.add_entrant(Entrant(number, code, team, f"Driver {code}"))
    return facts


def places(facts: SessionFacts) -> list[tuple[int | None, str, bool]]:
    return [(p.position, p.code, p.classified) for p in running_order(facts)]


def test_the_newest_position_of_each_car_orders_the_race_whatever_the_arrival_order() -> None:
    facts = race()
    facts.set_position(1, at(20), 2)
    facts.set_position(1, at(10), 1)  # older: arrives late, changes nothing
    facts.set_position(2, at(20), 1)
    facts.set_position(3, at(5), 3)
    assert places(facts) == [
        (1, "AAB", False),
        (2, "AAA", False),
        (3, "BBA", False),
        (None, "BBB", False),
        (None, "CCA", False),
    ]


def test_a_place_claimed_twice_goes_to_the_newer_claim_and_the_older_claims_move_down_in_order() -> None:
    """A lap-by-lap feed: AAA (5th) passes BBA (3rd) and BBB (4th) and crosses the line first, claiming
    3rd while BBA's and BBB's lines of the lap before still say 3rd and 4th; CCA's 5th is stale too."""
    facts = race()
    facts.set_position(3, at(10), 3)
    facts.set_position(4, at(11), 4)
    facts.set_position(5, at(12), 5)
    facts.set_position(1, at(30), 3)
    facts.set_position(2, at(29), 1)
    assert places(facts) == [
        (1, "AAB", False),
        (3, "AAA", False),
        (4, "BBA", False),
        (5, "BBB", False),
        (6, "CCA", False),  # nobody moves up on a guess: 2nd stays free until a car claims it
    ]
    facts.set_position(3, at(31), 4)  # BBA's line of this lap: what the order already said
    facts.set_position(4, at(32), 5)
    facts.set_position(5, at(33), 2)  # ... and CCA, who claims the free place
    assert [(p, c) for p, c, _ in places(facts)] == [
        (1, "AAB"),
        (2, "CCA"),
        (3, "AAA"),
        (4, "BBA"),
        (5, "BBB"),
    ]


def test_a_tie_of_claims_dated_alike_goes_to_the_lower_car_number_and_classified_places_are_kept() -> None:
    facts = race()
    facts.set_position(4, at(10), 2)
    facts.set_position(2, at(10), 2)
    facts.set_position(3, at(5), 1)
    facts.set_result(1, (at(20), 1), Classification(position=3))  # classified 3rd: nobody runs there
    assert places(facts) == [
        (1, "BBA", False),
        (2, "AAB", False),
        (3, "AAA", True),
        (4, "BBB", False),
        (None, "CCA", False),
    ]


def test_no_two_cars_share_a_place_at_any_moment_of_silverstones_race_nor_their_points() -> None:
    """The recorded Silverstone 2023 Race (lap-by-lap positions: 790 moments where two cars' newest
    positions were the same place) through the flow's session step one message at a time: every
    running order it sends holds each place once, and each running car's provisional place points
    are those of the place the order shows."""
    feed = Path(__file__).resolve().parents[2] / "data" / "feeds" / "2023-10-britain.jsonl"
    race_key = 2023104
    messages = [m for m in decode_all(list(iter_lines(feed))) if m.event.session_key == race_key]
    rules = load_ruleset()
    table = rules.race.positions
    logic = session_logic(rules, timedelta(0), StatePolicy(StateBudget(ENGINE.limits)))(None)
    shown = None  # the running order and points a reader sees: the last ones sent
    contested = 0
    for message in messages:
        steps, _ = logic.on_batch([WindowBatch(None, 0.0, [message])])
        shown = next((s.update for s in reversed(steps) if s.update is not None), shown)
        assert logic.scored is not None
        assert shown is not None
        claims = [position for _, position in logic.scored.state.facts.running_position.values()]
        contested += message.topic.endswith("position") and len(claims) != len(set(claims))
        placed = [p for p in shown.order if p.position is not None]
        assert len(placed) == len({p.position for p in placed}), (message.event, placed)
        for place in placed:
            if not place.classified:
                points = shown.points.drivers[place.code].breakdown.get("position", 0)
                assert points == (table[place.position - 1] if place.position <= len(table) else 0)
    assert contested == 790  # the moments where two cars' newest positions name the same place


def test_cars_with_no_place_come_last_by_grid_then_number() -> None:
    facts = race()
    facts.set_grid(5, 1, pit_lane_start=False)
    facts.set_grid(4, 2, pit_lane_start=False)
    facts.set_position(3, at(1), 1)
    assert [code for _, code, _ in places(facts)] == ["BBA", "CCA", "BBB", "AAA", "AAB"]


def test_the_classification_overrides_running_positions_and_leaves_unplaced_cars_without_one() -> None:
    facts = race()
    for number in CARS:
        facts.set_position(number, at(100), number)  # 1..5 on the road
    facts.set_result(1, (at(200), 1), Classification(position=3))
    facts.set_result(2, (at(200), 2), Classification(position=1))
    facts.set_result(3, (at(200), 3), Classification(position=None, dnf=True))
    facts.set_result(4, (at(200), 4), Classification(position=4, dsq=True))
    assert places(facts) == [
        (1, "AAB", True),
        (3, "AAA", True),
        (5, "CCA", False),  # its line has not landed yet: still where it runs
        (None, "BBA", True),
        (None, "BBB", True),
    ]


def test_finishing_positions_keep_classified_cars_and_each_constructors_best() -> None:
    facts = race()
    facts.set_result(1, (at(200), 1), Classification(position=3))
    facts.set_result(2, (at(200), 2), Classification(position=1))
    facts.set_result(3, (at(200), 3), Classification(position=None, dnf=True))
    facts.set_result(4, (at(200), 4), Classification(position=5))
    facts.set_position(5, at(100), 2)  # running, not classified: no finishing position
    drivers, constructors = finishing_positions(running_order(facts))
    assert drivers == {"AAB": 1, "AAA": 3, "BBB": 5}
    assert constructors == {"Alpha": 1, "Bravo": 5}


def test_the_session_step_emits_when_only_the_order_moves() -> None:
    """A Qualifying scores nothing before its classification, yet its cars change places: each move is
    an update (with the order), and a window that moves nothing is none."""

    def qualifying_position(number: int, seconds: float, place: int) -> Message:
        moment = START + timedelta(seconds=seconds)
        return msg("position", moment, driver_number=number, date=moment.isoformat(), position=place)

    logic = session_logic(load_ruleset(), timedelta(seconds=2), StatePolicy(StateBudget(ENGINE.limits)))(None)
    announce = msg(
        "sessions",
        START,
        meeting_key=MEETING,
        session_name="Qualifying",
        date_start=START.isoformat(),
        date_end=(START + timedelta(hours=1)).isoformat(),
    )
    cars = [msg("drivers", START, driver_number=n, name_acronym=f"C{n:02}", team_name="Team") for n in (1, 2)]

    def window(*messages: Message) -> list[SessionUpdate]:
        steps, _ = logic.on_batch([WindowBatch(None, 0.0, list(messages))])
        return [s.update for s in steps if s.update is not None]

    first = window(announce, *cars, qualifying_position(1, 10, 1), qualifying_position(2, 10, 2))
    assert [[p.code for p in u.order] for u in first] == [["C01", "C02"]]
    assert not window(qualifying_position(1, 20, 1))  # same place: nothing to send
    swapped = window(qualifying_position(2, 30, 1), qualifying_position(1, 30, 2))
    assert [[p.code for p in u.order] for u in swapped] == [["C02", "C01"]]
    assert swapped[0].points == first[0].points  # no points yet: the order alone moved
    assert swapped[0].window_end == START + timedelta(seconds=30)  # a late batch: the session's clock


def test_a_session_snapshot_from_before_the_running_order_resumes() -> None:
    """A recovery snapshot pickled by an engine without the running order lacks its fields: the session
    resumes (its order empty until the next window sends it) instead of failing on its first window."""
    rules, lateness = load_ruleset(), timedelta(seconds=2)
    announce = msg(
        "sessions",
        START,
        meeting_key=MEETING,
        session_name="Race",
        date_start=START.isoformat(),
        date_end=(START + timedelta(hours=2)).isoformat(),
    )
    car = msg("drivers", START, driver_number=1, name_acronym="C01", team_name="Team")
    policy = StatePolicy(StateBudget(ENGINE.limits))
    before = session_logic(rules, lateness, policy)(None)
    before.on_batch([WindowBatch(None, 0.0, [announce, car])])
    snapshot = before.snapshot()
    for name in ("last_order", "last_final_order"):
        delattr(snapshot, name)  # what unpickling the older state leaves (slots, no value)
    resumed = session_logic(rules, lateness, policy)(snapshot)
    again = msg("drivers", START, driver_number=1, name_acronym="C01", team_name="Team")  # points unchanged
    steps, _ = resumed.on_batch([WindowBatch(None, 0.0, [again])])
    assert [[p.code for p in s.update.order] for s in steps if s.update is not None] == [["C01"]]
