"""A weekend's rosters and the league memberships read from PostgreSQL a slice at a time, each slice
encoded into compact arrays as it arrives: memory follows the book (about 60 bytes a team), never the
rows' text (ten million rosters are a gigabyte of CSV, several as Python or polars strings).

Rosters come as CSV (their names are text) and are parsed by polars a few tens of megabytes at a
time; memberships come as binary COPY (two bigints a row), read straight into numpy. Both through
asyncpg, whose COPY hands over whole network reads (psycopg's, a row at a time).
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np
import numpy.typing as npt
import polars as pl
import psycopg

from scoring.chips import Chip
from scoring.teams import ROSTER_SIZE, pick_weights

SLICE_BYTES = 32 << 20  # CSV parsed at a time
SLICES_AHEAD = 2  # slices received while one is still being encoded
# A part of a weekend (a shard's slots, the index a merge ranks with): its process holds other
# parts too, so each read's transient peak (slices' bytes and a parsed frame) stays small beside
# them; as fast at a quarter million rosters.
PART_SLICE_BYTES = 4 << 20
DRIVER_COLUMNS = ("d1", "d2", "d3", "d4", "d5")
CONSTRUCTOR_COLUMNS = ("c1", "c2")
# The columns of store.teams.ROSTERS, in order.
ROSTER_COLUMNS = (
    "team_id",
    *DRIVER_COLUMNS,
    *CONSTRUCTOR_COLUMNS,
    "boost_driver",
    "extra",
    "penalty",
    "chip",
    "fix_out",
    "fix_in",
)
_NAME_COLUMNS = (*ROSTER_COLUMNS[1:9], "extra", "chip", "fix_out", "fix_in")


@dataclass(frozen=True)
class EncodedRosters:
    """Every roster as arrays, sorted by team id; picks index `assets` (drivers, then constructors,
    each sorted by name), as TeamBook wants them."""

    team_ids: npt.NDArray[np.int64]
    assets: tuple[str, ...]
    drivers: tuple[str, ...]
    picks: npt.NDArray[np.int16]  # [N, 7]
    weights: npt.NDArray[np.int8]  # [N, 7], the boost still on Autopilot teams' drivers
    penalty: npt.NDArray[np.int32]
    autopilot: npt.NDArray[np.bool_]
    no_negative: npt.NDArray[np.bool_]
    fix_out: npt.NDArray[np.int16]  # asset index, -1: none
    fix_in: npt.NDArray[np.int16]


class _Names:
    """Codes for names in the order first met; `final` renumbers them sorted by name."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def encode(self, column: pl.Series) -> npt.NDArray[np.int16]:
        """The column's codes, "" as -1."""
        for name in column.unique().to_list():
            if name and name not in self.codes:
                self.codes[name] = len(self.codes)
        mapping = {"": -1, **self.codes}
        return column.replace_strict(mapping, return_dtype=pl.Int16).to_numpy()

    def final(self, offset: int = 0) -> tuple[tuple[str, ...], npt.NDArray[np.int16]]:
        """The names sorted, and for each first-met code its place among them plus `offset`."""
        names = tuple(sorted(self.codes))
        place = {name: i for i, name in enumerate(names)}
        remap = np.array([place[name] + offset for name in self.codes], dtype=np.int16)
        return names, remap


def _copy_out(
    conn: psycopg.Connection, query: str, params: Sequence[object], fmt: str, sink: Callable[[bytes], None]
) -> None:
    """COPY (query) TO STDOUT through asyncpg on a connection of its own to `conn`'s database (so:
    what is committed), which hands the data to `sink` in network-sized chunks; psycopg's COPY
    yields one row at a time, 2 us each in Python: a minute for ten million teams' rows."""
    info = {o.keyword.decode(): o.val.decode() for o in conn.pgconn.info if o.val is not None}
    numbered = query
    for i in range(len(params)):
        numbered = numbered.replace("%s", f"${i + 1}", 1)

    async def run() -> None:
        db = await asyncpg.connect(
            host=info.get("host") or info.get("hostaddr") or None,
            port=int(info["port"]) if info.get("port") else None,
            user=info.get("user") or None,
            password=info.get("password") or None,
            database=info.get("dbname") or None,
        )
        try:

            async def write(data: bytes) -> None:
                sink(data)

            await db.copy_from_query(numbered, *params, output=write, format=fmt)
        finally:
            await db.close()

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: a loader thread, the flow, a command
        asyncio.run(run())
        return
    with ThreadPoolExecutor(1) as aside:  # called from a coroutine: a loop of its own, aside
        aside.submit(asyncio.run, run()).result()


class _Slicer:
    """Chunks of a COPY gathered into slices of about `size` bytes (SLICE_BYTES by default) that end
    at a record's end (`cut`: where the last whole record of the bytes so far ends), each handed to
    `use` in order on
    a thread of its own, so that the next slice is received while one is encoded (polars and numpy
    mostly run without the GIL, the server makes its rows on the other core); at most
    SLICES_AHEAD slices wait, so memory stays flat. `close` waits for every slice; leaving the
    `with` block stops the thread either way (a COPY that failed: the slices queued are dropped)."""

    def __init__(
        self,
        use: Callable[[bytes], None],
        cut: Callable[[bytearray], int],
        skip: int = 0,
        size: int | None = None,
    ) -> None:
        self.use, self.cut, self.skip = use, cut, skip
        self.size = SLICE_BYTES if size is None else size
        self.pending = bytearray()
        self._aside = ThreadPoolExecutor(1, thread_name_prefix="copy-slices")
        self._queued: deque[Future[None]] = deque()

    def __enter__(self) -> _Slicer:
        return self

    def __exit__(self, *_: object) -> None:
        self._aside.shutdown(wait=True, cancel_futures=True)

    def take(self, chunk: bytes) -> None:
        self.pending += chunk
        if self.skip and len(self.pending) >= self.skip:
            del self.pending[: self.skip]
            self.skip = 0
        if not self.skip and len(self.pending) >= self.size:
            self._flush()

    def close(self) -> None:
        """Hand over what is left and wait for every slice (an encoding error is raised here)."""
        self._flush()
        while self._queued:
            self._queued.popleft().result()

    def _flush(self) -> None:
        end = self.cut(self.pending)
        if end:
            while len(self._queued) >= SLICES_AHEAD:
                self._queued.popleft().result()
            self._queued.append(self._aside.submit(self.use, bytes(self.pending[:end])))
            del self.pending[:end]


def read_rosters(
    conn: psycopg.Connection,
    query: str,
    params: Sequence[object],
    boost: int,
    extra_drs: int,
    slice_bytes: int | None = None,
) -> EncodedRosters | None:
    """The rows of `query` (store.teams.ROSTERS' columns) encoded slice by slice (of `slice_bytes`
    of CSV, SLICE_BYTES by default); None: no rows."""
    drivers, constructors = _Names(), _Names()
    parts: list[dict[str, npt.NDArray[Any]]] = []
    schema = dict.fromkeys(ROSTER_COLUMNS, pl.String) | {"team_id": pl.Int64, "penalty": pl.Int32}

    def encode(text: bytes) -> None:
        frame = pl.read_csv(text, has_header=False, new_columns=list(ROSTER_COLUMNS), schema=schema)
        frame = frame.with_columns(pl.col(c).fill_null("") for c in _NAME_COLUMNS)
        picks = np.empty((frame.height, ROSTER_SIZE), dtype=np.int16)
        weights = np.ones((frame.height, ROSTER_SIZE), dtype=np.int8)
        boosted, extra = drivers.encode(frame["boost_driver"]), drivers.encode(frame["extra"])
        for col, name in enumerate(DRIVER_COLUMNS):
            picks[:, col] = codes = drivers.encode(frame[name])
            weights[:, col] = pick_weights(codes == boosted, codes == extra, boost, extra_drs)
        for col, name in enumerate(CONSTRUCTOR_COLUMNS, start=len(DRIVER_COLUMNS)):
            picks[:, col] = constructors.encode(frame[name])
        chips = frame["chip"]
        parts.append(
            {
                "team_ids": frame["team_id"].to_numpy(),
                "picks": picks,
                "weights": weights,
                "penalty": frame["penalty"].fill_null(0).to_numpy(),
                "autopilot": (chips == Chip.AUTOPILOT.value).to_numpy(),
                "no_negative": (chips == Chip.NO_NEGATIVE.value).to_numpy(),
                "fix_out": drivers.encode(frame["fix_out"]),
                "fix_in": drivers.encode(frame["fix_in"]),
            }
        )

    with _Slicer(encode, lambda pending: pending.rfind(b"\n") + 1, size=slice_bytes) as slicer:
        _copy_out(conn, query, params, "csv", slicer.take)
        slicer.close()
    if not parts:
        return None
    columns = {key: np.concatenate([part.pop(key) for part in parts]) for key in list(parts[0])}
    driver_names, driver_place = drivers.final()
    constructor_names, constructor_place = constructors.final(offset=len(driver_names))
    picks = columns["picks"]
    picks[:, : len(DRIVER_COLUMNS)] = driver_place[picks[:, : len(DRIVER_COLUMNS)]]
    picks[:, len(DRIVER_COLUMNS) :] = constructor_place[picks[:, len(DRIVER_COLUMNS) :]]
    for key in ("fix_out", "fix_in"):
        codes = columns[key]
        columns[key] = np.where(codes >= 0, driver_place[np.maximum(codes, 0)], -1).astype(np.int16)
    team_ids = columns["team_ids"]
    if team_ids.size > 1 and not bool((team_ids[1:] > team_ids[:-1]).all()):
        order = np.argsort(team_ids, kind="stable")
        columns = {key: value[order] for key, value in columns.items()}
    assets = tuple(f"driver:{d}" for d in driver_names) + tuple(f"constructor:{c}" for c in constructor_names)
    return EncodedRosters(
        team_ids=columns["team_ids"].astype(np.int64, copy=False),
        assets=assets,
        drivers=driver_names,
        picks=columns["picks"],
        weights=columns["weights"],
        penalty=columns["penalty"].astype(np.int32, copy=False),
        autopilot=columns["autopilot"],
        no_negative=columns["no_negative"],
        fix_out=columns["fix_out"],
        fix_in=columns["fix_in"],
    )


_COPY_HEADER = 19  # binary COPY: signature (11), flags (4), header extension length (4, zero)


def _bigint_rows(columns: int) -> np.dtype[np.void]:
    """A binary COPY row of `columns` non-null bigints: field count, then (length, value) each."""
    fields: list[tuple[str, str]] = [("fields", ">i2")]
    for i in range(columns):
        fields += [(f"len{i}", ">i4"), (f"c{i}", ">i8")]
    return np.dtype(fields)


def read_bigints(
    conn: psycopg.Connection,
    query: str,
    params: Sequence[object],
    use: Callable[[npt.NDArray[np.void]], None],
    slice_bytes: int | None = None,
) -> None:
    """The rows of `query` (non-null bigint columns only, c0, c1, ...) as structured arrays of a few
    hundred thousand rows, through binary COPY: no text on either side."""
    probe = conn.execute(f"SELECT * FROM ({query}) AS q LIMIT 0", params)  # noqa: S608
    row = _bigint_rows(len(probe.description or ()))
    size = row.itemsize
    with _Slicer(
        lambda whole: use(np.frombuffer(whole, dtype=row)),
        lambda pending: len(pending) // size * size,
        skip=_COPY_HEADER,
        size=slice_bytes,
    ) as slicer:
        _copy_out(conn, query, params, "binary", slicer.take)
        slicer.close()  # what is left is the trailer (two bytes)


def read_team_ids(
    conn: psycopg.Connection, meeting_key: int, slice_bytes: int | None = None
) -> npt.NDArray[np.int64]:
    """The weekend's team ids, sorted (its book's slots)."""
    parts: list[npt.NDArray[np.int64]] = []
    query = "SELECT team_id FROM roster WHERE meeting_key = %s"
    read_bigints(
        conn, query, (meeting_key,), lambda rows: parts.append(rows["c0"].astype(np.int64)), slice_bytes
    )
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    ids.sort()
    return ids


def read_memberships(
    conn: psycopg.Connection, team_ids: npt.NDArray[np.int64], slice_bytes: int | None = None
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """(league id, team slot) of every membership of a team in `team_ids` (sorted), sorted by league
    then slot: rows turned into slots as they arrive."""
    keys: list[npt.NDArray[np.int64]] = []

    def take(rows: npt.NDArray[np.void]) -> None:
        team = rows["c1"]
        slot = np.searchsorted(team_ids, team)
        found = slot < team_ids.size
        found[found] = team_ids[slot[found]] == team[found]
        keys.append((rows["c0"][found].astype(np.int64) << 32) | slot[found])

    read_bigints(conn, "SELECT league_id, team_id FROM league_member", (), take, slice_bytes)
    joined = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    keys.clear()
    joined.sort()
    # Each key's two 32-bit halves read in place (no 64-bit temporaries: at two memberships a team
    # those were 16 MB a million teams, each, at the index's load peak).
    halves = joined.view(np.int32).reshape(-1, 2)
    high, low = (1, 0) if sys.byteorder == "little" else (0, 1)
    return halves[:, high].copy(), halves[:, low].copy()
