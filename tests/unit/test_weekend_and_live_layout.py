"""scoring/weekend.py (a weekend's points: totals, positive items for No Negative, the part before
the Race for Final Fix, sessions in order), scoring/outcomes.py (every team's numbers from them, as
of a session) and store/live_keys.py (the packed live layout), pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from scoring.chips import Chip
from scoring.facts import SessionKind
from scoring.outcomes import FinalTeams, TeamScores
from scoring.points import AssetPoints, SessionPoints
from scoring.teams import TeamBook
from scoring.weekend import SessionUpdate, WeekendUpdate, tally
from store import live_keys

DAY = datetime(2099, 5, 1, 10, 0, tzinfo=UTC)


def update(
    key: int, kind: SessionKind, start: datetime | None, drivers: dict[str, dict[str, int]]
) -> SessionUpdate:
    points = SessionPoints(
        session_key=key,
        meeting_key=1,
        kind=kind,
        final=True,
        drivers={name: AssetPoints(dict(items)) for name, items in drivers.items()},
        constructors={"Alpha": AssetPoints({"position": sum(sum(i.values()) for i in drivers.values())})},
    )
    return SessionUpdate(points, kind.value, start, None, None, newly_final=False)


SPRINT = update(
    2, SessionKind.SPRINT, DAY, {"AAA": {"position": 8, "places": -3}, "BBB": {"not_classified": -20}}
)
QUALI = update(
    3, SessionKind.QUALIFYING, DAY + timedelta(days=1), {"AAA": {"position": 10}, "BBB": {"no_time": -5}}
)
RACE = update(
    4,
    SessionKind.RACE,
    DAY + timedelta(days=2),
    {
        "AAA": {"position": 25, "fastest_lap": 10, "places": -2},
        "BBB": {"overtakes": 3, "not_classified": -20},
    },
)


def test_a_weekends_tally_sums_its_sessions() -> None:
    t = tally([SPRINT, QUALI, RACE])
    assert t.totals["drivers"] == {"AAA": (8 - 3) + 10 + (25 + 10 - 2), "BBB": -20 - 5 + (3 - 20)}
    assert t.totals["constructors"] == {"Alpha": (5 - 20) + (10 - 5) + (33 - 17)}


def test_no_negative_counts_each_sessions_positive_items_not_its_total_when_positive() -> None:
    t = tally([SPRINT, QUALI, RACE])
    assert t.positive["drivers"] == {"AAA": 8 + 10 + (25 + 10), "BBB": 0 + 0 + 3}
    assert t.asset_positive_points() == {"driver:AAA": 53, "driver:BBB": 3, "constructor:Alpha": 0 + 5 + 16}


def test_final_fix_reads_the_points_of_the_sessions_before_the_race() -> None:
    t = tally([SPRINT, QUALI, RACE])
    assert t.before_race["drivers"] == {"AAA": (8 - 3) + 10, "BBB": -20 - 5}
    assert t.asset_points_before_race()["driver:AAA"] == 15
    assert tally([]).totals == {"drivers": {}, "constructors": {}}


def weekend(session: SessionUpdate) -> WeekendUpdate:
    t = tally([SPRINT, QUALI, RACE])
    return WeekendUpdate(
        meeting_key=1,
        session=session,
        sessions={u.points.session_key: u for u in (RACE, QUALI, SPRINT)},
        drivers=dict(t.totals["drivers"]),
        constructors=dict(t.totals["constructors"]),
        final=True,
        positive=t.positive,
        before_race=t.before_race,
    )


@pytest.mark.parametrize(
    ("session", "as_of"),
    [(SPRINT, [2]), (QUALI, [2, 3]), (RACE, [2, 3, 4])],
    ids=["sprint", "qualifying", "race"],
)
def test_a_weekend_as_of_a_session_holds_it_and_the_sessions_started_before(
    session: SessionUpdate, as_of: list[int]
) -> None:
    assert sorted(u.points.session_key for u in weekend(RACE).sessions_as_of(session)) == as_of


def test_without_start_times_sessions_go_by_key() -> None:
    undated = {k: update(k, SessionKind.RACE, None, {}) for k in (7, 8, 9)}
    w = WeekendUpdate(1, undated[8], undated, {}, {}, final=False)
    assert sorted(u.points.session_key for u in w.sessions_as_of(undated[8])) == [7, 8]


def test_the_points_document_is_the_weekend_in_the_score_json_shape() -> None:
    doc = weekend(RACE).points_document()
    assert doc["meeting_key"] == 1
    assert doc["session_key"] == 4
    assert (doc["final"], doc["revision"], doc["revisions"]) == (True, False, 0)
    assert doc["drivers"] == {"AAA": 48, "BBB": -42}
    assert list(doc["drivers"]) == sorted(doc["drivers"])  # type: ignore[arg-type]
    assert doc["no_negative"] == {"drivers": {"AAA": 53, "BBB": 3}, "constructors": {"Alpha": 21}}


# -- store/live_keys.py --------------------------------------------------------------------------
def test_int32_arrays_round_trip_and_a_short_reply_is_empty() -> None:
    values = [0, -1, 2**31 - 1, -(2**31), 42]
    raw = live_keys.pack_int32(values)
    assert len(raw) == 4 * len(values)
    assert live_keys.unpack_int32(raw).tolist() == values
    assert live_keys.unpack_int32(raw[:7]).tolist() == values[:1]  # only whole values
    assert live_keys.unpack_int32(b"").tolist() == []
    assert bytes(live_keys.int32_view(np.array(values, dtype=np.int32))) == raw  # the same bytes, not copied
    assert bytes(live_keys.int32_view(values)) == raw


def test_team_ids_round_trip_as_int64() -> None:
    ids = np.array([1, 2**40, 2**63 - 1])
    assert live_keys.unpack_team_ids(live_keys.pack_team_ids(ids)).tolist() == ids.tolist()


@pytest.mark.parametrize(("first", "last", "span"), [(0, 1, (0, 3)), (0, 10, (0, 39)), (5, 6, (20, 23))])
def test_getrange_of_int32_slots(first: int, last: int, span: tuple[int, int]) -> None:
    assert live_keys.int32_bytes(first, last) == span
    raw = live_keys.pack_int32(np.arange(20))
    assert live_keys.unpack_int32(raw[span[0] : span[1] + 1]).tolist() == list(range(first, last))


def test_getrange_of_a_team_id_slot() -> None:
    raw = live_keys.pack_team_ids([11, 22, 33])
    start, end = live_keys.team_id_bytes(2)
    assert live_keys.unpack_team_ids(raw[start : end + 1]).tolist() == [33]


def test_league_segments_round_trip() -> None:
    assert live_keys.parse_league_segment(live_keys.league_segment(120, 45).encode()) == (120, 45)


@pytest.mark.parametrize(
    ("count", "offset", "limit", "page"),
    [
        (100, 0, 50, (0, 50)),
        (100, 90, 50, (90, 100)),  # the last page is short
        (100, 100, 50, (100, 100)),  # past the end: empty
        (100, 500, 50, (100, 100)),
        (100, -5, 10, (0, 10)),  # a negative offset starts at the top
        (100, 10, -1, (10, 10)),  # a negative limit is empty
        (0, 0, 50, (0, 0)),
    ],
)
def test_a_page_is_clamped_into_the_league(
    count: int, offset: int, limit: int, page: tuple[int, int]
) -> None:
    assert live_keys.page_of(count, offset, limit) == page


def test_every_live_key_is_distinct_and_prefixed() -> None:
    by_meeting = [
        live_keys.meeting_points,
        live_keys.meeting_sessions,
        live_keys.team_ids,
        live_keys.legacy_team_slots,
        live_keys.team_totals,
        live_keys.team_ranks,
        live_keys.team_rank_table,
        live_keys.league_index,
        live_keys.league_order,
        live_keys.league_ranks,
        live_keys.league_points,
        live_keys.meeting_version,
        live_keys.totals_version,
        live_keys.totals_points,
        live_keys.league_version,
        live_keys.book_index_digest,
        live_keys.meeting_window_time,
        live_keys.totals_window_time,
        live_keys.league_window_time,
        lambda m: live_keys.part_writers(m, "totals"),
        lambda m: live_keys.part_writers(m, "leagues"),
        live_keys.whole_window,
    ]
    keys = [f(202301) for f in by_meeting] + [
        live_keys.session_assets(202301),
        live_keys.session_order(202301),
    ]
    keys += [live_keys.live_meetings(), live_keys.rejected_count()]
    assert len(set(keys)) == len(keys)
    assert all(k.startswith(f"{live_keys.PREFIX}:") for k in keys)
    assert live_keys.meeting_points(1) != live_keys.meeting_points(11)


# -- scoring/outcomes.py: every team's numbers from a window -------------------------------------
# Weekend so far: AAA 5 + 10 + 33 = 48, BBB -20 - 5 - 17 = -42, Alpha -15 + 5 + 16 = 6.
ROSTER = (
    "driver:AAA",
    "driver:BBB",
    "driver:X1",
    "driver:X2",
    "driver:X3",
    "constructor:Alpha",
    "constructor:Y",
)
BOOK = TeamBook.from_rosters(
    [(1, ROSTER, (2, 1, 1, 1, 1, 1, 1)), (2, ROSTER, (1, 2, 1, 1, 1, 1, 1))],  # team 2 boosts BBB ...
    memberships=[(7, 1), (7, 2)],
    weeks={2: (10, Chip.AUTOPILOT)},  # ... but plays Autopilot, and pays 10 for a transfer
)


def test_team_scores_are_the_weekends_totals_ranks_and_standings() -> None:
    teams = TeamScores(BOOK, weekend=weekend(RACE))
    assert teams.totals.tolist() == [2 * 48 - 42 + 6, 2 * 48 - 42 + 6 - 10]  # Autopilot: the boost on AAA
    assert teams.ranks.tolist() == [1, 2]
    assert BOOK.team_ids[teams.standings.order].tolist() == [1, 2]
    given = TeamScores(BOOK, np.array([5, 9], dtype=np.int32))
    assert given.ranks.tolist() == [2, 1]


def test_a_final_sessions_team_rows_are_as_of_that_session_never_a_later_one() -> None:
    teams = TeamScores(BOOK, weekend=weekend(RACE))
    quali = FinalTeams(teams, weekend(QUALI))  # the Race had scored already when Qualifying closed
    # as of Qualifying: AAA 5 + 10 = 15, BBB -20 - 5 = -25, Alpha -15 + 5 = -10
    assert quali.weekend_points.tolist() == [2 * 15 - 25 - 10, 2 * 15 - 25 - 10 - 10]
    assert quali.ranks.tolist() == [1, 2]
    # Qualifying alone, no penalty: AAA 10 (boosted), BBB -5, Alpha 5
    assert quali.session_points.tolist() == [2 * 10 - 5 + 5, 2 * 10 - 5 + 5]
    race = FinalTeams(teams, weekend(RACE))
    assert race.weekend_points.tolist() == teams.totals.tolist()
    assert race.session_points.tolist() == [2 * 33 - 17 + 16, 2 * 33 - 17 + 16]
    assert race.team_ids.tolist() == [1, 2]
