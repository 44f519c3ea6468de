"""store/backup.py's retention policy with a clock of the test's own: the newest dump of each of the
last `daily` days, `weekly` ISO weeks and `monthly` months is kept, and the newest of all always."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from store.backup import RetentionPolicy, apply_retention, dump_path, dumped_at, kept_by_policy, manifest_path

FOLDER = Path("/backups")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # a Sunday


def nightly(days: int, hour: int = 3) -> list[Path]:
    """One dump a night at `hour`, from today back `days` - 1 days."""
    today = NOW.replace(hour=hour, minute=0)
    return [dump_path(FOLDER, today - timedelta(days=d)) for d in range(days)]


def days_of(paths: set[Path]) -> list[str]:
    return sorted(at.strftime("%m-%d %H") for p in paths if (at := dumped_at(p)) is not None)


POLICIES = [
    pytest.param(RetentionPolicy(daily=3), ["11-27 03", "11-28 03", "11-29 03"], id="3-days"),
    pytest.param(RetentionPolicy(daily=0), ["11-29 03"], id="the-newest-is-always-kept"),
    # ISO weeks (Monday to Sunday) within 4 weeks: 23-29, 16-22, 9-15, 2-8 November
    pytest.param(
        RetentionPolicy(daily=0, weekly=4), ["11-08 03", "11-15 03", "11-22 03", "11-29 03"], id="4-weeks"
    ),
    # November, October, September
    pytest.param(RetentionPolicy(daily=0, monthly=3), ["09-30 03", "10-31 03", "11-29 03"], id="3-months"),
    pytest.param(
        RetentionPolicy(daily=2, weekly=2, monthly=2),
        ["10-31 03", "11-22 03", "11-28 03", "11-29 03"],
        id="days-weeks-months-together",
    ),
]


@pytest.mark.parametrize(("policy", "kept"), POLICIES)
def test_each_retention_policy(policy: RetentionPolicy, kept: list[str]) -> None:
    assert days_of(kept_by_policy(nightly(120), policy, NOW)) == kept


def test_the_default_policy_keeps_thirty_days() -> None:
    kept = kept_by_policy(nightly(120), RetentionPolicy(), NOW)
    assert len(kept) == 30
    assert min(days_of(kept)) == "10-31 03"


def test_of_several_dumps_in_a_day_the_newest_is_kept() -> None:
    dumps = nightly(3, hour=3) + nightly(3, hour=15)[1:]  # today's 15:00 is in the future: left out
    assert days_of(kept_by_policy(dumps, RetentionPolicy(daily=2), NOW)) == ["11-28 15", "11-29 03"]


def test_files_that_are_not_dumps_are_never_counted() -> None:
    others = [
        FOLDER / "notes.txt",
        FOLDER / "gridscore-yesterday.dump",
        FOLDER / "gridscore-20261129T030000Z.json",
    ]
    assert kept_by_policy(others, RetentionPolicy(), NOW) == set()


@pytest.mark.parametrize(
    ("name", "at"),
    [
        ("gridscore-20261129T030000Z.dump", datetime(2026, 11, 29, 3, 0, tzinfo=UTC)),
        ("gridscore-20261129T030000Z.json", None),
        ("gridscore-2026-11-29.dump", None),
        ("other-20261129T030000Z.dump", None),
        ("gridscore-20261399T030000Z.dump", None),
    ],
)
def test_a_dumps_time_is_in_its_name(name: str, at: datetime | None) -> None:
    assert dumped_at(FOLDER / name) == at


def test_dump_names_are_in_utc() -> None:
    local = datetime(2026, 11, 29, 4, 30, tzinfo=timezone(timedelta(hours=1)))
    path = dump_path(FOLDER, local)
    assert path.name == "gridscore-20261129T033000Z.dump"
    assert dumped_at(path) == local
    assert manifest_path(path).name == "gridscore-20261129T033000Z.json"


def test_apply_retention_deletes_the_rest_with_their_manifests(tmp_path: Path) -> None:
    today = NOW.replace(hour=3)
    dumps = [dump_path(tmp_path, today - timedelta(days=d)) for d in range(5)]
    for dump in dumps:
        dump.write_bytes(b"dump")
        manifest_path(dump).write_text("{}")
    (tmp_path / "notes.txt").write_text("mine")
    deleted = apply_retention(tmp_path, RetentionPolicy(daily=2), NOW)
    assert deleted == sorted(dumps[2:])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [d.name for d in dumps[:2]] + [manifest_path(d).name for d in dumps[:2]] + ["notes.txt"]
    )
