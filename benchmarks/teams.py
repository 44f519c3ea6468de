"""Generated fantasy players for the demo, the benchmarks and the tests: plausible prices, rosters
within budget (popularity-weighted, one boost each), users, teams and leagues of 5 to 50 plus the
global one, written with COPY so that a million teams take seconds. Never used by the live game.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
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
    """k distinct picks per row, weighted (Gumbel top-k), vectorised over n rows."""
    keys = np.log(weights)[None, :] + rng.gumbel(size=(n, weights.size))
    return np.argpartition(-keys, k - 1, axis=1)[:, :k]


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


def store_generated_teams(
    conn: psycopg.Connection, meeting_key: int, rosters: pl.DataFrame, seed: int = 42
) -> int:
    """Store generated players: users (up to 3 teams each), teams, leagues of 5-50 and the global one."""
    n = rosters.height
    rng = np.random.default_rng(seed)
    with conn.transaction():
        first_user = _next_ids(conn, "user_account", (n + 2) // 3)
        user_of_team = first_user + np.arange(n) // 3
        users = pl.DataFrame({"id": np.unique(user_of_team)}).with_columns(
            (pl.lit("player") + pl.col("id").cast(pl.String) + pl.lit("@generated.gridscore")).alias("email"),
            (pl.lit("Player ") + pl.col("id").cast(pl.String)).alias("display_name"),
            pl.lit("!generated").alias("password_hash"),
        )
        _copy_in(conn, "user_account", users)
        first_team = _next_ids(conn, "team", n)
        team_ids = first_team + np.arange(n)
        _copy_in(
            conn,
            "team",
            pl.DataFrame({"id": team_ids, "user_id": user_of_team}).with_columns(
                (pl.lit("Team ") + pl.col("id").cast(pl.String)).alias("name")
            ),
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
        global_league = ensure_global_league(conn)
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
        members = pl.concat(
            [
                pl.DataFrame({"league_id": league_of_team, "team_id": team_ids}),
                pl.DataFrame({"league_id": np.full(n, global_league), "team_id": team_ids}),
            ]
        )
        _copy_in(conn, "league_member", members)
        for table in ("user_account", "team", "league"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
    return n


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
