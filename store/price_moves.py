"""Write asset prices: next week's from a finished weekend, and a weekend's opening prices when it
has none; the rules are passed in (tasks/prices.py). Prices are written here only, never on a read.

A weekend is finished when its Race and every other session of it are final; the next race week
is the following meeting of the same season, as long as none of its sessions has started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

import psycopg

PriceRule = Callable[[Decimal, int], Decimal]
# (drivers, constructors) -> {(kind, name): price}
OpeningRule = Callable[[Sequence[str], Sequence[str]], Mapping[tuple[str, str], Decimal]]


def weekends_to_price(conn: psycopg.Connection) -> list[tuple[int, int]]:
    """(finished meeting, next meeting) pairs whose next week's prices may still move."""
    rows = conn.execute(
        """
        SELECT done.meeting_key, nxt.meeting_key
        FROM meeting done
        JOIN LATERAL (
            SELECT n.meeting_key FROM meeting n
            WHERE n.year = done.year AND n.date_start > done.date_start
            ORDER BY n.date_start LIMIT 1) nxt ON true
        WHERE EXISTS (SELECT 1 FROM race_session s
                      WHERE s.meeting_key = done.meeting_key AND s.name = 'Race' AND s.state = 'final')
          AND NOT EXISTS (SELECT 1 FROM race_session s
                          WHERE s.meeting_key = done.meeting_key AND s.state <> 'final')
          AND NOT EXISTS (SELECT 1 FROM race_session s
                          WHERE s.meeting_key = nxt.meeting_key AND s.date_start <= now())
          AND EXISTS (SELECT 1 FROM asset_price p WHERE p.meeting_key = done.meeting_key)
        ORDER BY done.meeting_key
        """
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def move_prices(conn: psycopg.Connection, done: int, following: int, rule: PriceRule) -> int:
    """Every asset priced for `done` gets a price for `following`; returns the rows changed."""
    assets = conn.execute(
        """
        SELECT p.asset_kind::text, p.asset_name, p.price, coalesce(sum(r.points), 0)::int
        FROM asset_price p
        LEFT JOIN race_session s ON s.meeting_key = p.meeting_key
        LEFT JOIN asset_result r ON r.session_key = s.session_key AND r.final
             AND r.asset_kind = p.asset_kind AND r.asset_name = p.asset_name
        WHERE p.meeting_key = %s
        GROUP BY p.asset_kind, p.asset_name, p.price
        """,
        (done,),
    ).fetchall()
    changed = 0
    with conn.cursor() as cur:
        for kind, name, price, points in assets:
            cur.execute(
                "INSERT INTO asset_price (meeting_key, asset_kind, asset_name, price)"
                " VALUES (%s, %s::asset_kind, %s, %s)"
                " ON CONFLICT (meeting_key, asset_kind, asset_name) DO UPDATE SET price = EXCLUDED.price"
                " WHERE asset_price.price IS DISTINCT FROM EXCLUDED.price",
                (following, kind, name, rule(price, points)),
            )
            changed += max(cur.rowcount, 0)
    return changed


def write_prices(
    conn: psycopg.Connection, meeting_key: int, prices: Mapping[tuple[str, str], Decimal]
) -> int:
    """A weekend's prices for the assets it has none for (a price already set stays); rows written."""
    written = 0
    with conn.cursor() as cur:
        for (kind, name), price in prices.items():
            cur.execute(
                "INSERT INTO asset_price (meeting_key, asset_kind, asset_name, price)"
                " VALUES (%s, %s::asset_kind, %s, %s) ON CONFLICT DO NOTHING",
                (meeting_key, kind, name, price),
            )
            written += max(cur.rowcount, 0)
    return written


def price_unpriced(conn: psycopg.Connection, meeting_keys: Iterable[int], rule: OpeningRule) -> int:
    """Opening prices (`rule` over every known driver and constructor) for each of the meetings that
    has no price at all; rows written."""
    unpriced = [
        int(row[0])
        for row in conn.execute(
            "SELECT m.meeting_key FROM meeting m WHERE m.meeting_key = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM asset_price p WHERE p.meeting_key = m.meeting_key)"
            " ORDER BY m.meeting_key",
            (list(meeting_keys),),
        ).fetchall()
    ]
    if not unpriced:
        return 0
    drivers = [str(r[0]) for r in conn.execute("SELECT acronym FROM driver ORDER BY id").fetchall()]
    constructors = [str(r[0]) for r in conn.execute("SELECT name FROM constructor ORDER BY id").fetchall()]
    if not drivers or not constructors:
        return 0
    prices = rule(drivers, constructors)
    return sum(write_prices(conn, meeting, prices) for meeting in unpriced)
