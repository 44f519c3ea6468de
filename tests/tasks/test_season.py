"""Mapping the source onto our keys and names, for what the recorded season lacks: sprints."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from tasks.jolpica import Race, SeasonSource
from tasks.season import season_rows

SPRINT_WEEKEND = {
    "season": "2025",
    "round": "6",
    "raceName": "Miami Grand Prix",
    "Circuit": {"circuitId": "miami", "circuitName": "Miami International Autodrome"},
    "date": "2025-05-04",
    "time": "20:00:00Z",
    "FirstPractice": {"date": "2025-05-02", "time": "16:30:00Z"},
    "SprintQualifying": {"date": "2025-05-02", "time": "20:30:00Z"},
    "Sprint": {"date": "2025-05-03", "time": "16:00:00Z"},
    "Qualifying": {"date": "2025-05-03", "time": "20:00:00Z"},
}


def test_a_sprint_weekend_gets_the_feed_keys_and_starts_with_practice() -> None:
    race = msgspec.convert(SPRINT_WEEKEND, Race)
    rows = season_rows(SeasonSource(2025, [race], [], [], {}, []))
    assert [(s.session_key, s.name) for s in rows.sessions] == [
        (2025061, "Sprint Qualifying"),
        (2025062, "Sprint"),
        (2025063, "Qualifying"),
        (2025064, "Race"),
    ]
    (meeting,) = rows.meetings
    assert meeting.meeting_key == 202506
    assert meeting.date_start == datetime(2025, 5, 2, 16, 30, tzinfo=UTC), "the weekend starts with FP1"
    assert meeting.circuit == "Miami International Autodrome", "no locality: the circuit's name"
