"""A sprint weekend built from SCORING.md alone (no shared feed has one), with its points worked
out by hand in SPRINT_EXPECTED below; see the comments for each figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.feedbuilder import FeedBuilder

MEETING = 209901
SQ, SPRINT, QUALI, RACE = 2099011, 2099012, 2099013, 2099014
DRIVERS = {
    1: ("AAA", "Alpha"),
    2: ("AAB", "Alpha"),
    3: ("BBA", "Bravo"),
    4: ("BBB", "Bravo"),
    5: ("CCA", "Charlie"),
    6: ("CCB", "Charlie"),
    7: ("DDA", "Delta"),
    8: ("DDB", "Delta"),
}
DAY1 = datetime(2099, 5, 1, 10, 0, tzinfo=UTC)
DAY2 = datetime(2099, 5, 2, 10, 0, tzinfo=UTC)
DAY3 = datetime(2099, 5, 3, 14, 0, tzinfo=UTC)


def _result(
    b: FeedBuilder, session: int, at: datetime, number: int, position: int | None, **flags: bool
) -> None:
    b.add(
        "session_result",
        at,
        {
            "meeting_key": MEETING,
            "session_key": session,
            "driver_number": number,
            "position": position,
            "number_of_laps": None,
            "dnf": flags.get("dnf", False),
            "dns": False,
            "dsq": flags.get("dsq", False),
            "duration": None,
        },
    )


def build_sprint_weekend(path: Path, with_correction: bool = True) -> Path:
    b = FeedBuilder(MEETING)
    # Sprint Qualifying scores nothing: it only sets the Sprint grid.
    b.session(SQ, "Sprint Qualifying", DAY1, DRIVERS)
    for pos, number in enumerate([1, 2, 3, 4, 5, 6, 7, 8], start=1):
        _result(b, SQ, DAY1 + timedelta(minutes=44), number, pos)
    # Sprint: grid 1..8 in car order.
    b.session(SPRINT, "Sprint", DAY2, DRIVERS)
    for number in DRIVERS:
        b.add(
            "starting_grid",
            DAY2,
            {"session_key": SPRINT, "driver_number": number, "position": number, "pit_lane_start": False},
        )
    t = DAY2 + timedelta(minutes=5)
    for overtaker, overtaken in [(3, 2), (3, 1), (5, 4)]:
        b.add(
            "overtakes",
            t,
            {
                "session_key": SPRINT,
                "overtaking_driver_number": overtaker,
                "overtaken_driver_number": overtaken,
                "date": t.isoformat(),
                "position": None,
            },
        )
        t += timedelta(seconds=30)
    for number, duration in [(5, 60.0), (3, 60.5), (1, 61.0)]:
        b.add(
            "laps",
            t,
            {
                "session_key": SPRINT,
                "driver_number": number,
                "lap_number": 3,
                "date_start": (t - timedelta(seconds=60)).isoformat(),
                "lap_duration": duration,
                "is_pit_out_lap": False,
            },
        )
    end = DAY2 + timedelta(minutes=35)
    for number, pos, flags in [
        (3, 1, {}),
        (1, 2, {}),
        (2, 3, {}),
        (5, 4, {}),
        (4, 5, {}),
        (6, 6, {}),
        (7, None, {"dnf": True}),
        (8, None, {"dsq": True}),
    ]:
        _result(b, SPRINT, end, number, pos, **flags)
    # Qualifying: car 7 sets no time, car 8 is disqualified.
    b.session(QUALI, "Qualifying", DAY2 + timedelta(hours=4), DRIVERS)
    qend = DAY2 + timedelta(hours=5)
    for number, pos, flags in [
        (1, 1, {}),
        (3, 2, {}),
        (5, 3, {}),
        (2, 4, {}),
        (4, 5, {}),
        (6, 6, {}),
        (7, None, {}),
        (8, None, {"dsq": True}),
    ]:
        _result(b, QUALI, qend, number, pos, **flags)
    # Race: grid from qualifying, car 7 from the pit lane in slot 7, car 8 in slot 8.
    b.session(RACE, "Race", DAY3, DRIVERS)
    for number, slot in [(1, 1), (3, 2), (5, 3), (2, 4), (4, 5), (6, 6), (7, 7), (8, 8)]:
        b.add(
            "starting_grid",
            DAY3,
            {"session_key": RACE, "driver_number": number, "position": slot, "pit_lane_start": number == 7},
        )
    t = DAY3 + timedelta(minutes=10)
    for overtaker in [5, 5, 5, 7, 7]:
        b.add(
            "overtakes",
            t,
            {
                "session_key": RACE,
                "overtaking_driver_number": overtaker,
                "overtaken_driver_number": None,
                "date": t.isoformat(),
                "position": None,
            },
        )
        t += timedelta(seconds=40)
    for number, duration in [(1, 80.0), (8, 79.0), (5, 80.5)]:
        b.add(
            "laps",
            t,
            {
                "session_key": RACE,
                "driver_number": number,
                "lap_number": 10,
                "date_start": (t - timedelta(seconds=80)).isoformat(),
                "lap_duration": duration,
                "is_pit_out_lap": False,
            },
        )
    for number, stop in [(1, 2.1), (3, 2.4), (5, 1.9), (7, 3.1), (8, 2.6)]:
        b.add(
            "pit",
            t,
            {
                "session_key": RACE,
                "driver_number": number,
                "lap_number": 12,
                "date": t.isoformat(),
                "lane_duration": 20.0,
                "stop_duration": stop,
            },
        )
    rend = DAY3 + timedelta(minutes=95)
    b.add(
        "race_control",
        rend - timedelta(minutes=2),
        {
            "session_key": RACE,
            "date": (rend - timedelta(minutes=2)).isoformat(),
            "category": "Flag",
            "flag": "CHEQUERED",
            "message": "CHEQUERED FLAG",
        },
    )
    for number, pos, flags in [
        (5, 1, {}),
        (1, 2, {}),
        (3, 3, {}),
        (2, 4, {}),
        (7, 5, {}),
        (4, 6, {}),
        (6, None, {"dnf": True}),
        (8, 7, {}),
    ]:
        _result(b, RACE, rend, number, pos, **flags)
    b.add(
        "driver_of_the_day",
        rend,
        {"meeting_key": MEETING, "session_key": RACE, "driver_number": 7, "date": rend.isoformat()},
    )
    if with_correction:  # car 8 disqualified after the race: loses P7 and the fastest lap
        _result(b, RACE, rend + timedelta(hours=3), 8, None, dsq=True)
    return b.write(path)


SPRINT_EXPECTED = {
    "drivers": {
        # sprint + qualifying + race, each worked out from SCORING.md:
        "AAA": 6
        + 10
        + 27,  # S: P2 7, grid 1->2 -1 | Q: P1 10 | R: P2 18, grid 1->2 -1, fastest lap 10 (car 8 DSQ)
        "AAB": 5 + 7 + 12,  # S: P3 6, 2->3 -1 | Q: P4 7 | R: P4 12, 4->4 0
        "BBA": 12 + 9 + 14,  # S: P1 8, 3->1 +2, 2 overtakes | Q: P2 9 | R: P3 15, 2->3 -1
        "BBB": 3 + 6 + 7,  # S: P5 4, 4->5 -1 | Q: P5 6 | R: P6 8, 5->6 -1
        "CCA": 12
        + 8
        + 30,  # S: P4 5, 5->4 +1, 1 overtake, fastest lap 5 | Q: P3 8 | R: P1 25, 3->1 +2, 3 overtakes
        "CCB": 3 + 5 - 20,  # S: P6 3 | Q: P6 5 | R: DNF -20
        "DDA": -20 - 5 + 24,  # S: DNF -20 | Q: no time -5 | R: P5 10, 7->5 +2, 2 overtakes, DOTD 10
        "DDB": -20 - 5 - 20,  # S: DSQ -20 | Q: DSQ -5 | R: DSQ -20
    },
    "constructors": {
        "Alpha": 11 + 27 + 49,  # S 6+5 | Q 17 + both in Q3 10 | R 27+12 + best stop 2.1 s -> 10
        "Bravo": 15 + 25 + 26,  # S 12+3 | Q 15 + 10 | R 14+7 + 2.4 s -> 5
        "Charlie": 15 + 23 + 40,  # S 12+3 | Q 13 + 10 | R 30-20 + 1.9 s -> 20 + fastest stop 10
        "Delta": -40 - 16 - 14,  # S -20-20 | Q -5-5, neither in Q2 -1, DSQ -5 | R 14-20, DSQ -10, 2.6 s -> 2
    },
}
