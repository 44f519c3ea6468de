"""Move prices once a weekend is final: beat checks every BEAT_CHECK_S, and a final Race triggers it.

Recomputed from the finished weekend's prices and points each time, so running it again writes
nothing new; the next week's prices stop moving once that weekend has started.
"""

from __future__ import annotations

import psycopg

from store.price_moves import move_prices as write_moves
from store.price_moves import weekends_to_price
from tasks.app import app
from tasks.prices import next_price
from tasks.runtime import connect
from tasks.schedule import PRICES_TASK


@app.task(name=PRICES_TASK, autoretry_for=(psycopg.OperationalError,), retry_backoff=5, max_retries=5)
def move_prices(meeting_key: int | None = None) -> int:
    with connect() as conn, conn.transaction():
        pairs = [p for p in weekends_to_price(conn) if meeting_key in (None, p[0])]
        return sum(write_moves(conn, done, following, next_price) for done, following in pairs)
