"""The price-change rule (pure) and the writer: every priced asset moves, once, until the next
weekend starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.price_moves import move_prices, weekends_to_price
from tasks.prices import FLOOR, next_price
from tests.tasks.seed import meeting, session

PRICES = st.decimals(min_value=Decimal("3.0"), max_value=Decimal("35.0"), places=1)


@pytest.mark.parametrize(
    ("price", "points", "after"),
    [
        ("30.0", 36, "30.3"),  # 1.2 points per million: great, expensive asset: +0.3
        ("30.0", 35, "30.1"),  # just under 1.2: good
        ("30.0", 27, "30.1"),  # 0.9: good
        ("30.0", 18, "29.9"),  # 0.6: poor
        ("30.0", 17, "29.7"),  # bad
        ("19.0", 0, "18.7"),  # 19.0 is expensive already
        ("18.9", 0, "18.3"),  # cheaper assets move twice as far
        ("10.0", 12, "10.6"),
        ("10.0", 9, "10.2"),
        ("10.0", 6, "9.8"),
        ("3.2", -20, "3.0"),  # never below the floor
    ],
)
def test_rule(price: str, points: int, after: str) -> None:
    assert next_price(Decimal(price), points) == Decimal(after)


@given(PRICES, st.integers(-60, 120), st.integers(0, 60))
def test_more_points_never_move_a_price_less(price: Decimal, points: int, more: int) -> None:
    assert next_price(price, points + more) >= next_price(price, points)


@given(PRICES, st.integers(-60, 120))
def test_prices_move_by_known_steps_and_stay_above_the_floor(price: Decimal, points: int) -> None:
    after = next_price(price, points)
    assert after >= FLOOR
    assert after == after.quantize(Decimal("0.1"))
    assert after == FLOOR or after - price in {
        Decimal(s) for s in ("0.6", "0.3", "0.2", "0.1", "-0.1", "-0.2", "-0.3", "-0.6")
    }


def test_writer_moves_every_priced_asset_once_and_stops_at_the_next_lock(conn: psycopg.Connection) -> None:
    now = datetime.now(UTC)
    meeting(conn, 202570, now - timedelta(days=3), "Done Grand Prix")
    race = session(conn, 202570, 4, "Race", now - timedelta(days=2), "final")
    meeting(conn, 202571, now + timedelta(days=4), "Next Grand Prix")
    qualifying = session(conn, 202571, 3, "Qualifying", now + timedelta(days=4), "upcoming")
    conn.execute(
        "INSERT INTO asset_price (meeting_key, asset_kind, asset_name, price) VALUES"
        " (202570, 'driver', 'VER', 30.0), (202570, 'driver', 'DOO', 5.0),"
        " (202570, 'constructor', 'Ferrari', 25.0)"
    )
    conn.execute(
        "INSERT INTO asset_result (session_key, asset_kind, asset_name, points, breakdown, final, updated_at)"
        " VALUES (%s, 'driver', 'VER', 40, '{}', true, now()),"
        " (%s, 'constructor', 'Ferrari', 10, '{}', true, now())",
        (race, race),
    )
    assert weekends_to_price(conn) == [(202570, 202571)]
    with conn.transaction():
        assert move_prices(conn, 202570, 202571, next_price) == 3
    with conn.transaction():
        assert move_prices(conn, 202570, 202571, next_price) == 0, "running again changes nothing"
    prices = dict(
        conn.execute("SELECT asset_name, price FROM asset_price WHERE meeting_key = 202571").fetchall()
    )
    # VER: 40 points for 30.0 is great (+0.3); DOO scored nothing (-0.6); Ferrari 10 for 25.0 is bad (-0.3).
    assert prices == {"VER": Decimal("30.3"), "DOO": Decimal("4.4"), "Ferrari": Decimal("24.7")}
    conn.execute(
        "UPDATE race_session SET date_start = now() - interval '1 minute' WHERE session_key = %s",
        (qualifying,),
    )
    assert weekends_to_price(conn) == [], "the next weekend has started: its prices no longer move"
