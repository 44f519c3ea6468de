"""Every fantasy team's total from its assets' points, in bulk (numpy), never one team at a time.

A TeamBook holds the rosters in force as arrays: each team picks 7 assets (5 drivers,
2 constructors) with a weight per pick (1, the boost's 2, Extra DRS's 3). Scoring a window is a
gather and a row sum over these arrays, so a million teams cost milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.chips import Chip

ROSTER_SIZE = 7
TABLE_LIMIT = 1 << 16  # entries of a grouped picks' table (TeamBook.totals): 256 KB, in the core's cache
CODE_LIMIT = 1 << 16  # grouped codes below this are kept as uint16 (2 bytes a group a team)
CHUNK = 1 << 14  # teams summed at a time in TeamBook.totals: the chunk's arrays stay in L1/L2
DRIVER_PICKS = 5  # picks[:, :5] are drivers, picks[:, 5:] constructors

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
Int8Array = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]


def driver_asset(acronym: str) -> str:
    return f"driver:{acronym}"


def constructor_asset(team_name: str) -> str:
    return f"constructor:{team_name}"


@dataclass(frozen=True)
class TeamBook:
    """Rosters of many teams for one weekend, as arrays indexed by team slot."""

    team_ids: IntArray  # int64 [N], sorted ascending; slot i is team team_ids[i]
    assets: tuple[str, ...]  # the asset names that picks index into
    picks: npt.NDArray[np.int16]  # [N, 7] index into assets
    weights: npt.NDArray[np.int8]  # [N, 7] multiplier of each pick
    member_league: Int32Array  # [M] league id of each membership, sorted by (league, slot)
    member_slot: Int32Array  # [M] team slot of each membership
    # The week's transfer penalty and chips, per team (None: none for anyone). An Autopilot team's
    # `weights` carry no boost: its boost goes to its best-scoring driver, after the fact.
    penalty: Int32Array | None = None  # [N] points taken off the weekend total
    autopilot: BoolArray | None = None  # [N]
    no_negative: BoolArray | None = None  # [N] every negative item counts 0 (penalties stay)
    # Final Fix: `picks` hold the roster from the Race on; before it, `fix_in` (an asset index) was
    # `fix_out`. -1: no Final Fix.
    fix_out: npt.NDArray[np.signedinteger[Any]] | None = None  # [N] (int16 as loaded)
    fix_in: npt.NDArray[np.signedinteger[Any]] | None = None  # [N]
    boost_multiplier: int = 2

    @property
    def size(self) -> int:
        return int(self.team_ids.shape[0])

    @classmethod
    def from_rosters(
        cls,
        rosters: Sequence[tuple[int, Sequence[str], Sequence[int]]],
        memberships: Sequence[tuple[int, int]] = (),
        weeks: Mapping[int, tuple[int, str | None]] | None = None,
        boost_multiplier: int = 2,
        final_fixes: Mapping[int, tuple[str, str]] | None = None,
    ) -> TeamBook:
        """Build from (team_id, 7 asset names, 7 weights) rows (the roster from the Race on),
        (league_id, team_id) pairs and, per team id, the week's (transfer penalty, chip) and
        Final Fix (asset replaced, asset in)."""
        rows = sorted(rosters, key=lambda row: row[0])
        fixes = dict(final_fixes or {})
        names = sorted({name for _, picks, _ in rows for name in picks} | {out for out, _ in fixes.values()})
        index = {name: i for i, name in enumerate(names)}
        team_ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        picks = np.array([[index[n] for n in row[1]] for row in rows], dtype=np.int16).reshape(
            -1, ROSTER_SIZE
        )
        weights = np.array([list(row[2]) for row in rows], dtype=np.int8).reshape(-1, ROSTER_SIZE)
        slot_of = {int(team): slot for slot, team in enumerate(team_ids)}
        pairs = sorted((league, slot_of[team]) for league, team in memberships if team in slot_of)
        member_league = np.array([p[0] for p in pairs], dtype=np.int32)
        member_slot = np.array([p[1] for p in pairs], dtype=np.int32)
        week = [(weeks or {}).get(int(team), (0, None)) for team in team_ids]
        autopilot = np.array([w[1] == Chip.AUTOPILOT for w in week], dtype=bool)
        weights = without_fixed_boost(weights, autopilot, boost_multiplier)
        return cls(
            team_ids,
            tuple(names),
            picks,
            weights,
            member_league,
            member_slot,
            penalty=np.array([w[0] for w in week], dtype=np.int32),
            autopilot=autopilot,
            no_negative=np.array([w[1] == Chip.NO_NEGATIVE for w in week], dtype=bool),
            fix_out=np.array([index[fixes[int(t)][0]] if int(t) in fixes else -1 for t in team_ids]),
            fix_in=np.array([index[fixes[int(t)][1]] if int(t) in fixes else -1 for t in team_ids]),
            boost_multiplier=boost_multiplier,
        )

    def __post_init__(self) -> None:
        # Each pick as one code, asset and weight together (asset * weight slots + weight), a row
        # per roster position, widened once to the platform's index type: a window is then seven
        # gathers from a table of about a hundred numbers, each added in place (no [N, 7] temporary,
        # no per-window index conversion). No Negative teams read a second half of the table, built
        # from the assets' positive items only.
        weight_slots = int(self.weights.max()) + 1 if self.weights.size else 1
        codes = self.picks.astype(np.intp) * weight_slots + self.weights
        table_size = len(self.assets) * weight_slots
        if self.no_negative is not None and self.no_negative.any():
            codes += self.no_negative[:, None].astype(np.intp) * table_size
            table_size *= 2
        # Picks taken together: a group of k positions reads one table of table_size**k sums, the
        # largest k whose table stays in the core's cache (TABLE_LIMIT: pairs, 2-byte codes, for
        # the usual 30 assets and 4 weight slots); a window is then four gathers from a table in
        # cache, chunk by chunk, instead of seven. Triples from a 3 MB table (three gathers of 8-byte
        # codes) were 2.2x slower at ten million teams: every gather missed the cache.
        per_group = max((k for k in (3, 2, 1) if max(table_size, 1) ** k <= TABLE_LIMIT), default=1)
        code_type = np.uint16 if max(table_size, 1) ** per_group <= CODE_LIMIT else np.intp
        groups: list[npt.NDArray[Any]] = []
        for first in range(0, codes.shape[1], per_group):
            group = np.zeros(self.size, dtype=np.intp)
            for position in range(first, min(first + per_group, codes.shape[1])):
                group *= table_size
                group += codes[:, position]
            groups.append(group.astype(code_type))
        object.__setattr__(self, "_weight_slots", weight_slots)
        object.__setattr__(self, "_pick_groups", groups)
        object.__setattr__(self, "_table_size", table_size)
        object.__setattr__(self, "_per_group", per_group)
        autopilot = np.flatnonzero(self.autopilot) if self.autopilot is not None else np.zeros(0, np.intp)
        object.__setattr__(self, "_autopilot_slots", autopilot)
        object.__setattr__(self, "_autopilot_drivers", self.picks[autopilot, :DRIVER_PICKS].astype(np.intp))
        fixed = np.flatnonzero(self.fix_out >= 0) if self.fix_out is not None else np.zeros(0, np.intp)
        assert self.fix_in is not None or fixed.size == 0
        fix_in = self.fix_in[fixed] if self.fix_in is not None else np.zeros(0, np.int64)
        in_position = self.picks[fixed] == fix_in[:, None]  # where the new driver sits, for its weight
        fix_weight = np.where(in_position, self.weights[fixed], 0).sum(axis=1).astype(np.int32)
        object.__setattr__(self, "_fixed_slots", fixed)
        object.__setattr__(self, "_fix_weight", fix_weight)
        changes = np.r_[False, self.member_league[1:] != self.member_league[:-1]]
        object.__setattr__(self, "_member_group", np.cumsum(changes, dtype=np.int64))

    def index_only(self) -> TeamBook:
        """The teams and leagues without rosters: all that league standings and tops need."""
        return TeamBook(
            self.team_ids,
            (),
            np.zeros((self.size, 0), dtype=np.int16),
            np.zeros((self.size, 0), dtype=np.int8),
            self.member_league,
            self.member_slot,
            boost_multiplier=self.boost_multiplier,
        )

    def take(self, slots: npt.NDArray[np.intp]) -> TeamBook:
        """The teams at `slots` alone, without leagues (to check a few teams against a store)."""

        def rows(array: npt.NDArray[Any] | None) -> npt.NDArray[Any] | None:
            return None if array is None else array[slots]

        empty = np.zeros(0, dtype=np.int32)
        return TeamBook(
            self.team_ids[slots],
            self.assets,
            self.picks[slots],
            self.weights[slots],
            empty,
            empty,
            penalty=rows(self.penalty),
            autopilot=rows(self.autopilot),
            no_negative=rows(self.no_negative),
            fix_out=rows(self.fix_out),
            fix_in=rows(self.fix_in),
            boost_multiplier=self.boost_multiplier,
        )

    @property
    def member_group(self) -> IntArray:
        """Dense index (0, 1, 2, ...) of each membership's league, for radix sorting."""
        return self._member_group  # type: ignore[attr-defined]

    def asset_vector(self, points: Mapping[str, int]) -> Int32Array:
        """Points of each asset of the book, in book order (an asset with no points scores 0)."""
        return np.array([points.get(name, 0) for name in self.assets], dtype=np.int32)

    def totals(
        self,
        points: Mapping[str, int],
        positive: Mapping[str, int] | None = None,
        with_penalty: bool = True,
        before_race: Mapping[str, int] | None = None,
        boost_from: Mapping[str, int] | None = None,
    ) -> Int32Array:
        """Every team's points from its assets' `points`; `positive` holds each asset's positive
        items only (what a No Negative team counts; its total when positive, if not given).
        `with_penalty` False leaves the week's transfer penalty out (a single session's points).
        `before_race` is the part of `points` scored before the Race, which a Final Fix team
        counts with the driver it replaced. An Autopilot team's boost goes to its driver best in
        `boost_from` (the weekend's points, when scoring one session of it), else in `points`."""
        vector = self.asset_vector(points)
        weight_slots: int = self._weight_slots  # type: ignore[attr-defined]
        groups: list[npt.NDArray[Any]] = self._pick_groups  # type: ignore[attr-defined]
        multipliers = np.arange(weight_slots, dtype=np.int32)
        table = (vector[:, None] * multipliers).ravel()
        if self.no_negative is not None and self.no_negative.any():
            kept = self.asset_vector(positive) if positive is not None else np.maximum(vector, 0)
            table = np.concatenate([table, (kept[:, None] * multipliers).ravel()])
        tables = {1: table}
        groups_tables: list[tuple[npt.NDArray[Any], Int32Array]] = []
        positions = self.picks.shape[1]
        for index, group in enumerate(groups):
            k = min(self._per_group, positions - index * self._per_group)  # type: ignore[attr-defined]
            if k not in tables:
                sums = table
                for _ in range(k - 1):
                    sums = (sums[:, None] + table[None, :]).ravel()
                tables[k] = sums
            groups_tables.append((group, tables[k]))
        totals = _summed_gathers(groups_tables, self.size)
        autopilot: npt.NDArray[np.intp] = self._autopilot_slots  # type: ignore[attr-defined]
        if autopilot.size:
            drivers: npt.NDArray[np.intp] = self._autopilot_drivers  # type: ignore[attr-defined]
            if boost_from is None:
                best = np.take(vector, drivers).max(axis=1)
            else:
                chosen = np.take(self.asset_vector(boost_from), drivers).argmax(axis=1)
                best = vector[drivers[np.arange(drivers.shape[0]), chosen]]
            totals[autopilot] += best * (self.boost_multiplier - 1)
        fixed: npt.NDArray[np.intp] = self._fixed_slots  # type: ignore[attr-defined]
        if fixed.size and before_race is not None and self.fix_out is not None and self.fix_in is not None:
            early = self.asset_vector(before_race)
            swing = early[self.fix_out[fixed]] - early[self.fix_in[fixed]]
            totals[fixed] += swing * self._fix_weight  # type: ignore[attr-defined]
        if with_penalty and self.penalty is not None:
            totals -= self.penalty
        return totals

    def league_segments(self) -> tuple[Int32Array, IntArray, IntArray]:
        """(league ids, start, length) of each league's run in the membership arrays."""
        if self.member_league.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return np.zeros(0, dtype=np.int32), empty, empty
        leagues, starts, counts = np.unique(self.member_league, return_index=True, return_counts=True)
        return leagues.astype(np.int32), starts.astype(np.int64), counts.astype(np.int64)


def _summed_gathers(groups_tables: list[tuple[npt.NDArray[Any], Int32Array]], size: int) -> Int32Array:
    """sum(table[group] for group, table in groups_tables), CHUNK teams at a time into one array:
    each chunk's codes, widened and gathered, and its sum stay in cache (whole 10M-team passes
    each wrote and read 40-80 MB temporaries)."""
    totals = np.zeros(size, dtype=np.int32)
    if not groups_tables:
        return totals
    gathered = np.empty(min(size, CHUNK), dtype=np.int32)
    for start in range(0, size, CHUNK):
        stop = min(size, start + CHUNK)
        into = totals[start:stop]
        part = gathered[: stop - start]
        (first, first_table), *rest = groups_tables
        np.take(first_table, first[start:stop], out=into)
        for group, table in rest:
            np.take(table, group[start:stop], out=part)
            into += part
    return totals


def pick_weights(
    boosted: BoolArray, extra_drs: BoolArray, boost: int, extra_drs_multiplier: int
) -> Int8Array:
    """scoring.team_rules.pick_multiplier for many picks at once (SCORING.md, "Team" and "Chips",
    Extra DRS): the boosted pick x`boost`, the Extra DRS one x`extra_drs_multiplier`, the rest x1."""
    return np.where(boosted, boost, np.where(extra_drs, extra_drs_multiplier, 1)).astype(np.int8)


def without_fixed_boost(
    weights: npt.NDArray[np.int8], autopilot: BoolArray, boost_multiplier: int
) -> npt.NDArray[np.int8]:
    """Autopilot teams' driver weights with the boost taken off their chosen driver (SCORING.md,
    "Chips", Autopilot: it goes to their best-scoring driver instead, in TeamBook.totals)."""
    if not autopilot.any():
        return weights
    weights = weights.copy()
    drivers = weights[autopilot, :DRIVER_PICKS]
    weights[autopilot, :DRIVER_PICKS] = np.where(drivers == boost_multiplier, 1, drivers)
    return weights


def competition_ranks(totals: Int32Array) -> Int32Array:
    """Rank 1 + the number of teams with a strictly higher total (ties share a rank). O(N)."""
    return RankTable.of(totals).rank_of(totals)


@dataclass(frozen=True)
class RankTable:
    """Every team's competition rank as a function of its total: `ranks[t - low]` for a total t,
    1 + the teams with more. A few thousand numbers however many teams (the totals' spread), so
    the live state holds this beside the totals instead of a rank per team (40 MB a window at ten
    million teams, which every total's change rewrote)."""

    low: int
    ranks: Int32Array  # [high - low + 1]

    @classmethod
    def of(cls, totals: Int32Array) -> RankTable:
        """The table of `totals`, counted CHUNK teams at a time (each chunk widened in cache)."""
        if totals.size == 0:
            return cls(0, np.zeros(0, dtype=np.int32))
        low, high = int(totals.min()), int(totals.max())
        counts = np.zeros(high - low + 1, dtype=np.int64)
        for start in range(0, totals.size, CHUNK):
            index = np.subtract(totals[start : start + CHUNK], low, dtype=np.intp)
            counts += np.bincount(index, minlength=counts.size)
        return cls.of_counts(low, counts)

    @classmethod
    def of_counts(cls, low: int, counts: npt.NDArray[np.int64]) -> RankTable:
        """From how many teams have each total (`counts[i]` scored low + i)."""
        higher = np.cumsum(counts[::-1])[::-1] - counts
        return cls(low, (higher + 1).astype(np.int32))

    def rank_of(self, totals: Int32Array) -> Int32Array:
        """Each total's rank (every one of `totals` must be in the table's range)."""
        if totals.size == 0:
            return np.zeros(0, dtype=np.int32)
        return self.ranks[np.subtract(totals, self.low, dtype=np.intp)]


@dataclass(frozen=True)
class LeagueStandings:
    """Every league's members ordered by rank, in one array, plus each membership's rank."""

    order: Int32Array  # [M] team slots, league by league, best first (ties by team id)
    ranks: Int32Array  # [M] rank of order[i] inside its league
    points: Int32Array | None = None  # [M] total of order[i] (None: not gathered yet)


def league_standings(book: TeamBook, totals: Int32Array, key_bits: int = 62) -> LeagueStandings:
    """Every league's members best first (ties by team id), with ranks and points, for all leagues
    at once.

    A league of every team (the global one) is every team sorted once by (point gap, slot), packed
    in one int64 key, its ranks a gather from a histogram of the gaps. Every other membership gets
    one int64 key too, (league, point gap, place among its league's members, who are listed by
    slot): the keys are unique, so one plain sort of them (NumPy's vectorised sort, unstable and
    fine) orders every league at once, and a sorted key's place names its team. Where each league
    starts never changes, so that is worked out once per book (_league_plan); a window builds the
    keys, sorts, and marks where the points change. At ten million teams these two sorts replaced
    three stable radix argsorts of 16-bit digits and their gathers. Keys wider than `key_bits`
    (a points spread, leagues or league sizes too large to pack) take the radix path instead.
    """
    if book.member_slot.size == 0:
        empty = np.zeros(0, dtype=np.int32)
        return LeagueStandings(empty, empty, empty)
    plan = _league_plan(book)
    top = int(totals.max())
    gap = np.subtract(top, totals, dtype=np.int64)  # 0 = best
    gap_bits = (top - int(totals.min())).bit_length()
    size = book.member_slot.size
    order = np.empty(size, dtype=np.int32)
    ranks = np.empty(size, dtype=np.int32)
    points = np.empty(size, dtype=np.int32)
    by_points: npt.NDArray[np.intp] | None = None
    if plan.whole:
        by_points, whole_gap = _by_points(gap, gap_bits, key_bits)
        counts = np.bincount(gap)
        better = (np.cumsum(counts) - counts + 1).astype(np.int32)  # 1 + teams with a smaller gap
        whole_ranks = better[whole_gap]  # a table in cache
        whole_points = np.subtract(top, whole_gap, dtype=np.int32)
        del whole_gap
        for start in plan.whole:
            order[start : start + totals.size] = by_points
            ranks[start : start + totals.size] = whole_ranks
            points[start : start + totals.size] = whole_points
        del whole_ranks, whole_points
    if plan.rest_slots.size:
        if plan.rest_group_bits + gap_bits + plan.rest_offset_bits <= key_bits:
            rest_order, rest_points = _rest_by_keys(plan, gap, gap_bits, top)
        else:
            # Wide keys: the other memberships taken in their teams' order by points, then grouped
            # by league with a stable counting sort (radix sort of 16-bit digits).
            if by_points is None:
                by_points = _by_points(gap, gap_bits, key_bits)[0]
            slots, groups = _in_place_order(plan, by_points)
            rest_order = slots[stable_order(groups)]
            del slots, groups
            rest_points = np.take(totals, rest_order)
        del gap, by_points
        new_total = np.empty(rest_points.size, dtype=bool)  # a league's first, or a lower total
        new_total[0] = True
        np.not_equal(rest_points[1:], rest_points[:-1], out=new_total[1:])
        new_total |= plan.rest_new_league
        first_equal = plan.rest_positions * new_total
        np.maximum.accumulate(first_equal, out=first_equal)
        first_equal -= plan.rest_rank_offset  # 1 for the league's best
        done = 0
        for begin, end in plan.rest_runs:  # the rest fills the gaps between whole leagues, in order
            order[begin:end] = rest_order[done : done + end - begin]
            ranks[begin:end] = first_equal[done : done + end - begin]
            points[begin:end] = rest_points[done : done + end - begin]
            done += end - begin
    return LeagueStandings(order, ranks, points)


def _by_points(gap: IntArray, gap_bits: int, key_bits: int) -> tuple[npt.NDArray[np.intp], IntArray]:
    """Every team's slot best first, ties by slot (team id), and the gap of each: one plain sort of
    (gap, slot) int64 keys (NumPy's vectorised sort: 10M in a fraction of the stable radix
    argsort's time), or that argsort where the two do not fit in one key."""
    slot_bits = max(gap.size - 1, 1).bit_length()
    if gap_bits + slot_bits > key_bits:
        by_points = np.argsort(gap, kind="stable")
        return by_points, gap[by_points]
    key = gap << slot_bits
    key |= np.arange(gap.size, dtype=np.int64)
    key.sort()
    by_points = (key & ((1 << slot_bits) - 1)).astype(np.intp, copy=False)
    key >>= slot_bits
    return by_points, key


def _rest_by_keys(
    plan: _LeaguePlan, gap: IntArray, gap_bits: int, top: int
) -> tuple[npt.NDArray[Any], Int32Array]:
    """The other memberships, league by league, best first (ties by team id), and their points: one
    plain sort of (league, gap, place in the league) int64 keys. The book lists each league's
    members by slot, so the place is the tie order, and a league's members stay in its run: the
    sorted key's place is all that is needed to find its team, no argsort nor gather of keys. The
    keys are built in the teams' order (the sort does not mind), from sequential reads: gathering
    each membership's gap in league order missed the cache (a quarter of the time at 10M)."""
    offset_bits = plan.rest_offset_bits
    key = plan.rest_group_by_slot.astype(np.int64)
    key <<= gap_bits + offset_bits
    member_gap = gap << offset_bits if plan.group_of_slot is not None else np.repeat(gap, plan.slot_count)
    if plan.group_of_slot is None:
        member_gap <<= offset_bits
    key |= member_gap
    del member_gap
    key |= plan.rest_offset_by_slot
    key.sort()
    place = (key & ((1 << offset_bits) - 1)).astype(np.intp, copy=False)
    place += plan.rest_rank_offset
    place += 1  # the membership's position among the others
    rest_order = np.take(plan.rest_slots, place)
    del place
    key >>= offset_bits
    key &= (1 << gap_bits) - 1
    return rest_order, np.subtract(top, key, dtype=np.int32)


RADIX_BITS = 16  # NumPy sorts integers of 16 bits or fewer with a stable radix sort


def stable_order(keys: npt.NDArray[np.integer[Any]], digit_bits: int = RADIX_BITS) -> npt.NDArray[np.intp]:
    """np.argsort(keys, kind="stable") for non-negative integer keys, as radix sorts of `digit_bits`
    bits, least significant first (NumPy's stable sort of wider integers is a timsort)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.intp)
    digit_type = np.uint8 if digit_bits <= 8 else np.uint16
    mask = (1 << digit_bits) - 1
    top = int(keys.max())
    order: npt.NDArray[np.intp] | None = None
    shift = 0
    while True:
        digit = keys if order is None else keys[order]
        if shift:
            digit = digit >> shift
        step = np.argsort((digit & mask).astype(digit_type), kind="stable")
        order = step if order is None else order[step]
        shift += digit_bits
        if top >> shift == 0:
            return order


def _in_place_order(
    plan: _LeaguePlan, by_points: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint32]]:
    """The team slot and league (dense index) of each of the other memberships, in their teams'
    order `by_points`."""
    if plan.group_of_slot is not None:  # every team in exactly one of them: a gather
        return by_points, plan.group_of_slot[by_points]
    counts = plan.slot_count[by_points]
    ends = np.cumsum(counts)
    first = plan.slot_first[by_points]
    first -= ends - counts  # each team's run, as an offset from where it lands
    moved = np.repeat(first, counts)
    moved += np.arange(moved.size, dtype=np.intp)
    return np.repeat(by_points, counts), plan.rest_group[plan.rest_by_slot[moved]]


@dataclass(frozen=True)
class _LeaguePlan:
    """What league_standings needs of a book, worked out once: where the leagues of every team
    start, and for the other memberships their runs, teams, dense league indexes, which of them
    each team holds and, in their sorted order, where each one's league starts."""

    whole: list[int]
    rest_runs: list[tuple[int, int]]
    rest_slots: Int32Array
    rest_group: npt.NDArray[np.uint32]  # 0, 1, 2, ... by league
    rest_by_slot: npt.NDArray[np.intp]  # positions in rest_slots, team by team
    slot_first: npt.NDArray[np.intp]  # [N] where each team's run starts in rest_by_slot
    slot_count: npt.NDArray[np.intp]  # [N] its length
    group_of_slot: npt.NDArray[np.uint32] | None  # [N] when every team holds exactly one: its league
    rest_positions: Int32Array  # 0, 1, 2, ...
    rest_rank_offset: Int32Array  # position of the first membership of each one's league, less 1
    rest_new_league: BoolArray  # a league's first membership
    # The other memberships in their teams' order (slot, then league), for sort keys built from
    # sequential reads: each one's league (dense index) and place among its league's (0: first).
    rest_group_by_slot: npt.NDArray[np.uint32]
    rest_offset_by_slot: Int32Array
    rest_group_bits: int  # bits of the largest dense league index
    rest_offset_bits: int  # bits of the largest place


def prepare_standings(book: TeamBook, like: TeamBook | None = None) -> None:
    """Work out what league_standings needs of the book now (on the thread that loaded it: about a
    second at 10M teams, which the first window's standings would otherwise wait for), or take
    `like`'s when both hold the same leagues (a book patched with Final Fixes shares their arrays)."""
    if like is not None and like.member_league is book.member_league and like.member_slot is book.member_slot:
        plan = like.__dict__.get("_league_plan")
        if plan is not None:
            object.__setattr__(book, "_league_plan", plan)
            return
    _league_plan(book)


def _league_plan(book: TeamBook) -> _LeaguePlan:
    plan: _LeaguePlan | None = book.__dict__.get("_league_plan")
    if plan is not None:
        return plan
    _, starts, counts = book.league_segments()
    whole = [int(s) for s, c in zip(starts, counts, strict=True) if c == book.size]
    partial = np.ones(book.member_slot.size, dtype=bool)
    bounds = [0]
    for start in whole:
        partial[start : start + book.size] = False
        bounds += [start, start + book.size]
    bounds.append(book.member_slot.size)
    runs = [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if b > a]
    rest = np.flatnonzero(partial)
    groups = book.member_group[rest]
    new_league = np.r_[True, groups[1:] != groups[:-1]] if groups.size else np.zeros(0, dtype=bool)
    positions = np.arange(rest.size, dtype=np.int32)
    league_start = np.maximum.accumulate(np.where(new_league, positions, 0)).astype(np.int32)
    rest_slots = book.member_slot[rest]
    rest_group = (np.cumsum(new_league, dtype=np.int64) - 1).astype(np.uint32)
    slot_count = np.bincount(rest_slots, minlength=book.size).astype(np.intp)
    nothing = np.zeros(0, dtype=np.intp)
    group_of_slot, by_slot, slot_first = None, nothing, nothing
    offset = positions - league_start
    if bool((slot_count == 1).all()):  # a gather will do: nothing else kept (hundreds of MB at 10M)
        group_of_slot = np.empty(book.size, dtype=np.uint32)
        group_of_slot[rest_slots] = rest_group
        slot_count = nothing
        group_by_slot = group_of_slot
        offset_by_slot = np.empty(book.size, dtype=np.int32)
        offset_by_slot[rest_slots] = offset
    else:
        by_slot = stable_order(rest_slots)  # within a team, by league
        slot_first = np.cumsum(slot_count) - slot_count
        group_by_slot, offset_by_slot = rest_group[by_slot], offset[by_slot]
    plan = _LeaguePlan(
        whole,
        runs,
        rest_slots.astype(np.int32),
        rest_group,
        by_slot,
        slot_first,
        slot_count,
        group_of_slot,
        positions,
        league_start - 1,
        new_league,
        group_by_slot,
        offset_by_slot,
        int(rest_group[-1]).bit_length() if rest_group.size else 0,
        int(offset.max()).bit_length() if rest.size else 0,
    )
    object.__setattr__(book, "_league_plan", plan)  # a cache: the book itself does not change
    return plan
