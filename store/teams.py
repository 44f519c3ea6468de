"""Fantasy teams in Postgres: load the rosters in force as a TeamBook (and patch Final Fixes in).

Through COPY, a slice at a time (store/roster_stream.py), so that ten million teams load in about
a minute. Generated teams (the demo, the benchmarks) are benchmarks/teams.py's.
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import polars as pl
import psycopg

from scoring.chips import Chip
from scoring.teams import (
    TeamBook,
    constructor_asset,
    driver_asset,
    pick_weights,
    without_fixed_boost,
)
from store.roster_stream import (
    CONSTRUCTOR_COLUMNS,
    DRIVER_COLUMNS,
    PART_SLICE_BYTES,
    EncodedRosters,
    read_memberships,
    read_rosters,
    read_team_ids,
)


def load_book(conn: psycopg.Connection, meeting_key: int, boost: int, extra_drs: int) -> TeamBook | None:
    """The rosters in force for a weekend, with every team's league memberships and the week's
    transfer penalty and chip (settled when the weekend locked); `boost` and `extra_drs` are the rule
    set's multipliers (TeamRules).

    Plain scans streamed out with COPY and encoded a slice at a time (store/roster_stream.py): ten
    million teams load in about a minute, in little more memory than the book itself.
    """
    query = ROSTERS + " WHERE r.meeting_key = %s"
    rosters = read_rosters(conn, query, (Chip.FINAL_FIX.value, meeting_key), boost, extra_drs)
    if rosters is None:
        return None
    return _book(rosters, *read_memberships(conn, rosters.team_ids), boost=boost)


def _book(
    rosters: EncodedRosters,
    member_league: npt.NDArray[np.int32],
    member_slot: npt.NDArray[np.int32],
    boost: int,
) -> TeamBook:
    return TeamBook(
        team_ids=rosters.team_ids,
        assets=rosters.assets,
        picks=rosters.picks,
        weights=without_fixed_boost(rosters.weights, rosters.autopilot, boost),
        member_league=member_league,
        member_slot=member_slot,
        penalty=rosters.penalty,
        autopilot=rosters.autopilot,
        no_negative=rosters.no_negative,
        fix_out=rosters.fix_out,
        fix_in=rosters.fix_in,
        boost_multiplier=boost,
    )


def count_teams(conn: psycopg.Connection, meeting_key: int) -> int:
    """How many rosters the weekend has (its book's size: what its shards split)."""
    row = conn.execute("SELECT count(*) FROM roster WHERE meeting_key = %s", (meeting_key,)).fetchone()
    return int(row[0]) if row else 0


def load_book_slots(
    conn: psycopg.Connection, meeting_key: int, start: int, stop: int, boost: int, extra_drs: int
) -> TeamBook | None:
    """Slots [start, stop) of the weekend's book (teams in id order) with their league memberships
    (slots from 0 at `start`): a shard's teams (scoring/shards.py). Only these rosters leave the
    server."""
    query = ROSTERS + " WHERE r.meeting_key = %s ORDER BY r.team_id OFFSET %s LIMIT %s"
    params = (Chip.FINAL_FIX.value, meeting_key, start, stop - start)
    rosters = read_rosters(conn, query, params, boost, extra_drs, PART_SLICE_BYTES)
    if rosters is None:
        return None
    return _book(rosters, *read_memberships(conn, rosters.team_ids, PART_SLICE_BYTES), boost=boost)


def count_members(
    conn: psycopg.Connection, meeting_key: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Every league with a team of the weekend (ids ascending) and how many of its teams: the
    weekend's league table, one row per league (scoring/shards.py LeagueTable)."""
    rows = conn.execute(
        "SELECT m.league_id, count(*) FROM league_member m JOIN roster r ON r.team_id = m.team_id"
        " WHERE r.meeting_key = %s GROUP BY m.league_id ORDER BY m.league_id",
        (meeting_key,),
    ).fetchall()
    return np.array([r[0] for r in rows], dtype=np.int32), np.array([r[1] for r in rows], dtype=np.int64)


def load_index(conn: psycopg.Connection, meeting_key: int) -> TeamBook | None:
    """The weekend's teams and league memberships without rosters (TeamBook.index_only of load_book's
    book): what ranks and league standings over every shard need."""
    team_ids = read_team_ids(conn, meeting_key, PART_SLICE_BYTES)
    if team_ids.size == 0:
        return None
    league, slot = read_memberships(conn, team_ids, PART_SLICE_BYTES)
    empty = np.zeros((team_ids.size, 0), dtype=np.int16)
    return TeamBook(team_ids, (), empty, empty.astype(np.int8), league, slot)


# A weekend's rosters with each team's week (penalty, chip) and Final Fix (driver out, driver in);
# the first parameter is the Final Fix chip's name.
ROSTERS = (
    "SELECT r.team_id, drivers[1] AS d1, drivers[2] AS d2, drivers[3] AS d3, drivers[4] AS d4,"
    " drivers[5] AS d5, constructors[1] AS c1, constructors[2] AS c2, boost_driver,"
    " coalesce(extra_drs_driver, '') AS extra, coalesce(w.penalty, 0) AS penalty,"
    " coalesce(w.chip, '') AS chip, coalesce(f.detail->>'out', '') AS fix_out,"
    " coalesce(f.detail->>'in', '') AS fix_in FROM roster r LEFT JOIN team_week w"
    " ON w.team_id = r.team_id AND w.meeting_key = r.meeting_key LEFT JOIN chip_play f"
    " ON f.team_id = r.team_id AND f.meeting_key = r.meeting_key AND f.chip = %s"
)


def load_final_fixes(conn: psycopg.Connection, meeting_key: int) -> pl.DataFrame:
    """The rosters of the weekend's Final Fix teams only (the one change to a locked roster, made
    before the Race starts): a few thousand rows to patch a book with, not a million to reload."""
    query = ROSTERS + " WHERE r.meeting_key = %s AND f.id IS NOT NULL"
    return _copy_frame(conn, query, (Chip.FINAL_FIX.value, meeting_key)).sort("team_id")


def patch_book(book: TeamBook, rosters: pl.DataFrame, boost: int, extra_drs: int) -> TeamBook | None:
    """`book` with the rows of `rosters` (teams it holds, in load_book's columns) replaced; the
    slots, leagues and every other row stay, so the new book shares their arrays. None when a row
    is a team the book does not hold (read the whole weekend again instead)."""
    if rosters.height == 0:
        return book
    team_ids = rosters["team_id"].to_numpy().astype(np.int64)
    slots = np.searchsorted(book.team_ids, team_ids)
    if (slots >= book.size).any() or not np.array_equal(
        book.team_ids[np.minimum(slots, book.size - 1)], team_ids
    ):
        return None
    known = set(book.assets)
    names = [
        driver_asset(d) for c in (*DRIVER_COLUMNS, "fix_out", "fix_in") for d in rosters[c].to_list() if d
    ]
    names += [constructor_asset(c) for col in CONSTRUCTOR_COLUMNS for c in rosters[col].to_list()]
    assets = book.assets + tuple(sorted(set(names) - known))  # a driver nobody held before: appended
    index = {name: i for i, name in enumerate(assets)}
    rows = rosters.to_dicts()
    picks, weights = book.picks.copy(), book.weights.copy()
    fix_out = book.fix_out.copy() if book.fix_out is not None else np.full(book.size, -1, dtype=np.int64)
    fix_in = book.fix_in.copy() if book.fix_in is not None else np.full(book.size, -1, dtype=np.int64)
    autopilot = book.autopilot if book.autopilot is not None else np.zeros(book.size, dtype=bool)
    for slot, row in zip(slots.tolist(), rows, strict=True):
        drivers = [row[c] for c in DRIVER_COLUMNS]
        picks[slot, : len(drivers)] = [index[driver_asset(d)] for d in drivers]
        picks[slot, len(drivers) :] = [index[constructor_asset(row[c])] for c in CONSTRUCTOR_COLUMNS]
        weights[slot, : len(drivers)] = pick_weights(
            np.array([d == row["boost_driver"] for d in drivers]),
            np.array([d == row["extra"] for d in drivers]),
            boost,
            extra_drs,
        )
        weights[slot, len(drivers) :] = 1
        fix_out[slot] = index[driver_asset(row["fix_out"])] if row["fix_out"] else -1
        fix_in[slot] = index[driver_asset(row["fix_in"])] if row["fix_in"] else -1
    return replace(
        book,
        assets=assets,
        picks=picks,
        weights=without_fixed_boost(weights, autopilot, boost),
        fix_out=fix_out,
        fix_in=fix_in,
    )


def _copy_frame(conn: psycopg.Connection, query: str, params: tuple[object, ...]) -> pl.DataFrame:
    buffer = io.BytesIO()
    statement = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    with conn.cursor() as cur, cur.copy(statement, params) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    return pl.read_csv(buffer, infer_schema_length=0).with_columns(
        pl.col(c).cast(pl.Int64) for c in ("team_id", "league_id") if c in _header(buffer)
    )


def _header(buffer: io.BytesIO) -> list[str]:
    return buffer.getvalue().split(b"\n", 1)[0].decode().split(",")
