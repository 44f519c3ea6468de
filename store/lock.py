"""Lock a weekend: each team's current selection becomes its Roster for the meeting (what the flow
scores), its transfers are settled, and Limitless teams revert. Idempotent: a second call does nothing.

Weekends are locked when their first scored session starts by beat's lock task (tasks/lock_task.py,
every LOCK_CHECK_S), by the API when a roster edit comes after that moment, or by `gridscore lock`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from scoring.chips import Chip, chip_of
from scoring.team_rules import Picks, extra_drs_driver, reverts_after_lock, settle
from store.models import ChipPlay, Meeting, MeetingLock, Roster, TeamSelection, TeamWeek
from store.urls import async_url
from store.weekends import to_weekend, weekends_query
from store.weeks import week_bases

BATCH = 5_000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LockResult:
    meeting_key: int
    locked_at: datetime
    rosters: int
    already_locked: bool


async def lock_rosters(session: AsyncSession, meeting_key: int, now: datetime | None = None) -> LockResult:
    """Write every selection as the Roster for `meeting_key` (the caller commits)."""
    now = now or datetime.now(UTC)
    if await session.get(Meeting, meeting_key, with_for_update=True) is None:  # waits for open edits
        raise LookupError(f"no meeting {meeting_key} in the calendar")
    claimed = await session.scalar(
        insert(MeetingLock)
        .values(meeting_key=meeting_key, locked_at=now, rosters=0)
        .on_conflict_do_nothing()
        .returning(MeetingLock.meeting_key)
    )
    if claimed is None:
        lock = await session.get(MeetingLock, meeting_key)
        assert lock is not None
        return LockResult(meeting_key, lock.locked_at, lock.rosters, already_locked=True)
    chips = {
        c.team_id: c
        for c in await session.scalars(select(ChipPlay).where(ChipPlay.meeting_key == meeting_key))
    }
    bases = await week_bases(session, meeting_key)
    rosters: list[dict[str, Any]] = []
    weeks: list[dict[str, Any]] = []
    for sel in await session.scalars(select(TeamSelection).order_by(TeamSelection.team_id)):
        chip = chips.get(sel.team_id)
        played = chip_of(chip.chip) if chip is not None else None
        picks = Picks(tuple(sel.drivers), tuple(sel.constructors), sel.boost_driver)
        detail = chip.detail if chip is not None else {}
        extra = extra_drs_driver(detail.get("driver"), picks) if played is Chip.EXTRA_DRS else None
        rosters.append(
            {
                "team_id": sel.team_id,
                "meeting_key": meeting_key,
                "drivers": sel.drivers,
                "constructors": sel.constructors,
                "boost_driver": sel.boost_driver,
                "extra_drs_driver": extra,
                "locked_at": now,
            }
        )
        basis = bases.get(sel.team_id)
        week = settle(basis.base if basis else None, picks, basis.last if basis else None, played)
        weeks.append(
            {
                "team_id": sel.team_id,
                "meeting_key": meeting_key,
                "transfers": week.transfers,
                "free_transfers": week.free_transfers,
                "penalty": week.penalty,
                "chip": chip.chip if chip else None,
            }
        )
    for start in range(0, len(rosters), BATCH):
        stmt = insert(Roster).values(rosters[start : start + BATCH])
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[Roster.team_id, Roster.meeting_key],
                set_={
                    c: stmt.excluded[c]
                    for c in ("drivers", "constructors", "boost_driver", "extra_drs_driver", "locked_at")
                },
            )
        )
        stmt_w = insert(TeamWeek).values(weeks[start : start + BATCH])
        await session.execute(
            stmt_w.on_conflict_do_update(
                index_elements=[TeamWeek.team_id, TeamWeek.meeting_key],
                set_={c: stmt_w.excluded[c] for c in ("transfers", "free_transfers", "penalty", "chip")},
            )
        )
    for chip in chips.values():  # Limitless lasts one weekend: back to the team from before it
        snapshot = chip.detail.get("snapshot")
        if reverts_after_lock(chip_of(chip.chip)) and snapshot:
            await session.execute(
                update(TeamSelection)
                .where(TeamSelection.team_id == chip.team_id)
                .values(
                    drivers=snapshot["drivers"],
                    constructors=snapshot["constructors"],
                    boost_driver=snapshot["boost_driver"],
                    updated_at=now,
                )
            )
    await session.execute(
        update(MeetingLock).where(MeetingLock.meeting_key == meeting_key).values(rosters=len(rosters))
    )
    return LockResult(meeting_key, now, len(rosters), already_locked=False)


async def lock_due_weekends(session: AsyncSession, now: datetime | None = None) -> list[LockResult]:
    """Lock every weekend whose first scored session has started and whose rosters are not written."""
    now = now or datetime.now(UTC)
    due = [w for w in map(to_weekend, await session.execute(weekends_query())) if w.lock_due(now)]
    return [await lock_rosters(session, w.meeting_key, now) for w in due]


def lock_rosters_now(database_url: str, meeting_key: int) -> LockResult:
    """lock_rosters in its own transaction, for the CLI and scripts."""
    return _in_transaction(database_url, lambda session: lock_rosters(session, meeting_key))


def lock_due_now(database_url: str) -> list[LockResult]:
    """lock_due_weekends in its own transaction, for beat's lock task."""
    return _in_transaction(database_url, lock_due_weekends)


def _in_transaction(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_async_engine(async_url(database_url))
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())
