"""Generated fantasy players for the demo, the benchmarks and the tests: plausible prices, rosters
within budget (popularity-weighted, one boost each), users, teams and leagues of 5 to 50 plus the
global one, written with COPY so that a million teams take seconds. Never used by the live game.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import polars as pl
import psycopg

from scoring.rules import DEFAULT_RULESET, TeamRules
from tasks.prices import opening_prices


@dataclass(frozen=True, slots=True)
class AssetMarket:
    """Prices (millions) and pick popularity of the assets of a weekend."""

    drivers: dict[str, float]
    constructors: dict[str, float]

    @classmethod
    def synthetic(cls, drivers: Sequence[str], constructors: Sequence[str], seed: int = 7) -> AssetMarket:
        """The opening prices the nightly sync gives an unpriced weekend (tasks/prices.py)."""
        prices = opening_prices(drivers, constructors, seed)
        return cls(
            {name: float(price) for (kind, name), price in prices.items() if kind == "driver"},
            {name: float(price) for (kind, name), price in prices.items() if kind == "constructor"},
        )


def _pick_without_replacement(rng: np.random.Generator, weights: np.ndarray, n: int, k: int) -> np.ndarray:
    """k distinct picks per row, weighted, vectorised over n rows: the k smallest of exponential
    draws divided by the weights (the exponential race, the same law as Gumbel top-k), in float32:
    half the time of float64 Gumbel keys, most of a chunk's generation at ten million teams."""
    keys = rng.standard_exponential(size=(n, weights.size), dtype=np.float32)
    keys /= weights.astype(np.float32)[None, :]
    return np.argpartition(keys, k - 1, axis=1)[:, :k]


def generate_rosters(market: AssetMarket, n: int, rules: TeamRules, seed: int = 42) -> pl.DataFrame:
    """n rosters of 5 drivers and 2 constructors within budget, popularity-weighted, one boost each."""
    rng = np.random.default_rng(seed)
    drivers = np.array(list(market.drivers))
    constructors = np.array(list(market.constructors))
    d_price = np.array(list(market.drivers.values()))
    c_price = np.array(list(market.constructors.values()))
    d_pop, c_pop = d_price, c_price  # the expensive stars are the popular picks
    d_pick = np.empty((n, rules.drivers), dtype=np.int64)
    c_pick = np.empty((n, rules.constructors), dtype=np.int64)
    todo = np.arange(n)
    rounds = 0
    while todo.size:
        if rounds == 4:  # the few still over budget shop like bargain hunters, so this ends quickly
            d_pop, c_pop = 1 / d_price, 1 / c_price
        rounds += 1
        d = _pick_without_replacement(rng, d_pop, todo.size, rules.drivers)
        c = _pick_without_replacement(rng, c_pop, todo.size, rules.constructors)
        fits = d_price[d].sum(axis=1) + c_price[c].sum(axis=1) <= rules.budget
        d_pick[todo[fits]], c_pick[todo[fits]] = d[fits], c[fits]
        todo = todo[~fits]
    boost_col = np.argmax(d_price[d_pick] + rng.uniform(0, 8, size=(n, rules.drivers)), axis=1)
    d_names, c_names = pl.Series(drivers.tolist()), pl.Series(constructors.tolist())
    frame = {f"d{i + 1}": d_names.gather(d_pick[:, i]) for i in range(rules.drivers)}
    frame.update({f"c{i + 1}": c_names.gather(c_pick[:, i]) for i in range(rules.constructors)})
    frame["boost_driver"] = d_names.gather(d_pick[np.arange(n), boost_col])
    return pl.DataFrame(frame)


CHUNK_TEAMS = 500_000  # teams generated and copied at a time: memory stays flat at any size


def generate_roster_chunks(
    market: AssetMarket, n: int, rules: TeamRules, seed: int = 42, chunk: int = CHUNK_TEAMS
) -> Iterator[pl.DataFrame]:
    """n rosters as generate_rosters makes them, `chunk` at a time (chunk i seeded seed + i, so that
    up to `chunk` teams are exactly generate_rosters(market, n, rules, seed))."""
    starts = list(range(0, n, chunk))
    with ThreadPoolExecutor(1, thread_name_prefix="generate-rosters") as ahead:
        # The next chunk is made while the caller stores this one (numpy and the server's COPY
        # mostly run without the GIL: both cores work).
        def make(i: int) -> Future[pl.DataFrame]:
            return ahead.submit(generate_rosters, market, min(chunk, n - starts[i]), rules, seed + i)

        coming = make(0) if starts else None
        for i in range(len(starts)):
            assert coming is not None
            frame = coming.result()
            coming = make(i + 1) if i + 1 < len(starts) else None
            yield frame


def store_generated_teams(
    conn: psycopg.Connection,
    meeting_key: int,
    rosters: pl.DataFrame | Iterable[pl.DataFrame],
    seed: int = 42,
    bulk: bool = False,
    timings: dict[str, float] | None = None,
) -> int:
    """Store generated players: users (up to 3 teams each), teams, leagues of 5-50 and the global one.

    `rosters` may come in chunks (generate_roster_chunks): each is written before the next is made,
    its leagues drawn from its own teams. `bulk` (a bench's own database, millions of teams): the
    tables' foreign keys and the indexes nothing else depends on are dropped for the load and made
    again at its end, in the same transaction, so they are checked and built once, set-based, rather
    than row by row (an index inserted in random order, a trigger per row: minutes at 10M teams).
    `timings`, when given, gets the seconds of the chunks (made and stored) and of the constraints
    and indexes made again.
    """
    rng = np.random.default_rng(seed)
    chunks = [rosters] if isinstance(rosters, pl.DataFrame) else rosters
    n = 0
    with conn.transaction():
        global_league = ensure_global_league(conn)
        restore = _drop_for_bulk_load(conn, _GENERATED_TABLES) if bulk else []
        started = time.perf_counter()
        for chunk in chunks:
            n += _store_chunk(conn, meeting_key, chunk, rng, global_league)
        stored = time.perf_counter()
        for statement in restore:
            conn.execute(statement)
        if timings is not None:
            timings.update(chunks_s=stored - started, constraints_s=time.perf_counter() - stored)
        for table in ("user_account", "team", "league"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
    return n


_GENERATED_TABLES = ("user_account", "team", "roster", "league", "league_member")


def _store_chunk(
    conn: psycopg.Connection,
    meeting_key: int,
    rosters: pl.DataFrame,
    rng: np.random.Generator,
    global_league: int,
) -> int:
    n = rosters.height
    first_user = _next_ids(conn, "user_account", (n + 2) // 3)
    user_of_team = first_user + np.arange(n) // 3
    # Users and teams are numbers and names made of them: made by the server, nothing to send.
    conn.execute(
        "INSERT INTO user_account (id, email, display_name, password_hash, created_at, updated_at)"
        " SELECT u, 'player' || u || '@generated.gridscore', 'Player ' || u, '!generated', now(), now()"
        " FROM generate_series(%s::bigint, %s::bigint) AS u",
        (first_user, int(user_of_team[-1])),
    )
    first_team = _next_ids(conn, "team", n)
    team_ids = first_team + np.arange(n)
    conn.execute(
        "INSERT INTO team (id, user_id, name, created_at, updated_at)"
        " SELECT t, %s::bigint + (t - %s::bigint) / 3, 'Team ' || t, now(), now()"
        " FROM generate_series(%s::bigint, %s::bigint) AS t",
        (first_user, first_team, first_team, first_team + n - 1),
    )
    _copy_in(
        conn,
        "roster",
        pl.DataFrame({"team_id": team_ids, "meeting_key": np.full(n, meeting_key)}).with_columns(
            pl.concat_str(
                [
                    pl.lit("{"),
                    pl.concat_str([rosters[f"d{i}"] for i in range(1, 6)], separator=","),
                    pl.lit("}"),
                ]
            ).alias("drivers"),
            pl.concat_str(
                [
                    pl.lit('{"'),
                    pl.concat_str([rosters["c1"], rosters["c2"]], separator='","'),
                    pl.lit('"}'),
                ]
            ).alias("constructors"),
            rosters["boost_driver"].alias("boost_driver"),
        ),
    )
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(5, 51)))
    first_league = _next_ids(conn, "league", len(sizes))
    league_ids = first_league + np.arange(len(sizes))
    _copy_in(
        conn,
        "league",
        pl.DataFrame({"id": league_ids}).with_columns(
            (pl.lit("League ") + pl.col("id").cast(pl.String)).alias("name"),
            (pl.lit("gen") + pl.col("id").cast(pl.String)).alias("invite_code"),
            pl.lit(50).alias("max_teams"),
            pl.lit(False).alias("is_public"),
            pl.lit(False).alias("is_global"),
            pl.lit(DEFAULT_RULESET).alias("ruleset"),
        ),
    )
    league_of_team = np.repeat(league_ids, sizes)[:n]
    rng.shuffle(league_of_team)
    members = pl.DataFrame({"league_id": league_of_team, "team_id": team_ids}).sort("league_id", "team_id")
    _copy_in(conn, "league_member", members)  # in the primary key's order: its index grows at one end
    conn.execute(
        "INSERT INTO league_member (league_id, team_id)"
        " SELECT %s, t FROM generate_series(%s::bigint, %s::bigint) AS t",
        (global_league, first_team, first_team + n - 1),
    )
    return n


def _drop_for_bulk_load(conn: psycopg.Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' foreign keys, and their other constraints and indexes that no foreign key
    depends on; return the statements that make them again (foreign keys last)."""
    referenced = {
        row[0]
        for row in conn.execute(
            "SELECT conindid FROM pg_constraint WHERE contype = 'f' AND confrelid = ANY(%s::regclass[])",
            (list(tables),),
        )
    }
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype, conindid"
        " FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'p', 'u')",
        (list(tables),),
    ).fetchall()
    kept = {index for _, _, _, kind, index in constraints if kind != "f" and index in referenced}
    dropped = [
        (t, name, d, kind) for t, name, d, kind, index in constraints if index not in kept or kind == "f"
    ]
    owned = {index for _, _, _, kind, index in constraints if kind != "f"}
    indexes = conn.execute(
        "SELECT indexrelid, indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
        " WHERE indrelid = ANY(%s::regclass[])",
        (list(tables),),
    ).fetchall()
    plain = [(name, d) for oid, name, d in indexes if oid not in owned]
    for table, name, _, _ in sorted(dropped, key=lambda c: c[3] != "f"):  # foreign keys first
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in plain:
        conn.execute(f"DROP INDEX {name}")
    conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    restore = [f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {d}' for t, name, d, kind in dropped if kind != "f"]
    restore += [d for _, d in plain]
    restore += [f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {d}' for t, name, d, kind in dropped if kind == "f"]
    return restore


def ensure_global_league(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT id FROM league WHERE is_global").fetchone()
    if row:
        return int(row[0])
    code = secrets.token_urlsafe(9)
    created = conn.execute(
        "INSERT INTO league (name, is_public, is_global, invite_code, ruleset, created_at, updated_at)"
        " VALUES ('Global', true, true, %s, %s, now(), now()) RETURNING id",
        (code, DEFAULT_RULESET),
    ).fetchone()
    assert created is not None
    return int(created[0])


def _next_ids(conn: psycopg.Connection, table: str, count: int) -> int:
    """Reserve `count` consecutive ids above the current maximum (generation holds a table lock)."""
    conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    row = conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()  # noqa: S608
    return int(row[0]) + 1 if row else 1


def _copy_in(conn: psycopg.Connection, table: str, frame: pl.DataFrame) -> None:
    if table in ("user_account", "team", "league"):  # audit columns have no server default
        now = datetime.now(UTC)
        frame = frame.with_columns(pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at"))
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    columns = ", ".join(frame.columns)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())
