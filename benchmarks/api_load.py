"""Race-time reads: the API as users run it, under browser-like load while a race replays into it.

    gridscore bench-api --teams N --clients C --seconds S --sse-clients K [--json]

A scratch database on the DATABASE_URL server (embedded Postgres and Valkey when the URLs are unset)
gets the feed's weekend and N generated teams. `gridscore api` starts in a subprocess (API_WORKERS
workers), then `gridscore replay FEED --speed X` in another, and once its first window is in Redis:

- a load process (plain asyncio HTTP/1.1 keep-alive connections: a compiled-client-like loop with no
  HTTP library in the way) runs C clients for S seconds, half reading a league's leaderboard page
  (`?limit=50`), half a team's live score, each client acting for a pool of players that remember the
  ETag of what they last read and send it back as If-None-Match, as a browser does;
- SSE processes (`--sse-processes`, K streams shared among them) hold K streams of the global league's
  live leaderboard, opened while the replay sets the race up, and stamp every event, and how late their
  own event loop runs (`sse_client_loop_lag`: a client that runs late stamps late, so the figure says
  whether the client was the limit);
- this process follows the meeting's update channel and stamps when each meeting version's points, and
  each league standings' version, are written.

A leaderboard event carries its standings' version (`id:` = `as_of.version`). SSE lag is an event's
receipt minus the write of those standings (`sse_lag_ms_*`), and minus the write of that window's
points (`sse_lag_from_points_ms_*`: the standings are sorted and written after them). A missed update is
a standings version written while a stream was open (from the server's answer to its request, and at
least a second before the end) that the stream never carried (`sse_open_ms_*`: how long the streams
waited for that answer, `sse_open_after_start`: how many were still waiting when the load began). What
a player can see is every window whose standings the engine wrote (`standings_during_load` of
`windows_during_load`; the engine skips a window's standings when the next window is computed before
they are written). The load client's own ceiling is measured against a stub server that answers at once
(`client_ceiling_req_per_s`), so a result near it says the client was the limit. A measurement, not a
timed test.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import redis

from benchmarks.api_reads import _drop_database, _free_port, _scratch_database
from benchmarks.load_client import (
    PLAYERS_PER_CLIENT,
    launch,
    load_process,
    sse_process,
    start_early,
    stub_process,
)
from benchmarks.teams import ensure_global_league
from gridscore.base.services import running_services
from gridscore.base.settings import Settings
from store import live_keys
from store.urls import libpq_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FEED = ROOT / "data" / "feeds" / "2023-10-britain.jsonl"
PAGE = 50
SSE_GRACE_S = 1.0  # a version written this close to the end may not have reached a stream yet
START_TIMEOUT_S = 180.0


@dataclass(frozen=True, slots=True)
class Target:
    """Where the load goes: the API's address, a player's token, the weekend, leagues and teams."""

    host: str
    port: int
    token: str
    meeting: int
    global_league: int
    leagues: list[int]
    teams: list[int]


def client_ceiling(clients: int, seconds: float) -> float:
    """Requests a second the load client reaches against a server that answers at once."""
    context = get_context("spawn")
    port = _free_port()
    ready = context.Event()
    stub = context.Process(target=stub_process, args=(port, ready, seconds + 150), daemon=True)
    stub.start()
    try:
        ready.wait(60)
        groups = [[f"/stub/{i}/{j}" for j in range(PLAYERS_PER_CLIENT)] for i in range(clients)]
        result = launch({"load": (load_process, ("127.0.0.1", port, "", groups))}, 0.5, seconds)["load"]
        return float(result["req_per_s"])
    finally:
        stub.terminate()
        stub.join(5)


# ---------------------------------------------------------------- what this process watches


@dataclass
class Watch:
    """When each meeting version's points, and each standings version, were written (wall time), and the
    API's resident memory."""

    versions: dict[int, float] = field(default_factory=dict)
    standings: dict[int, float] = field(default_factory=dict)
    rss_mb: float = 0.0


def watch(
    redis_url: str, meeting: int, api: subprocess.Popen[bytes], into: Watch, stop: threading.Event
) -> None:
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    pubsub.subscribe(live_keys.updates_channel(meeting))
    process = psutil.Process(api.pid)
    next_rss = 0.0
    try:
        while not stop.is_set():
            note = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if note is not None:
                stamp = time.time()  # the channel is shared by every Redis DB: read our DB's versions
                version, standings = client.mget(
                    live_keys.meeting_version(meeting), live_keys.league_version(meeting)
                )
                if version is not None:
                    into.versions.setdefault(int(version), stamp)
                if standings is not None:
                    into.standings.setdefault(int(standings), stamp)
            if time.monotonic() >= next_rss:
                next_rss = time.monotonic() + 0.5
                into.rss_mb = max(into.rss_mb, _tree_rss_mb(process))
    finally:
        pubsub.close()
        client.close()


def _tree_rss_mb(process: psutil.Process) -> float:
    try:
        processes = [process, *process.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes) / 2**20
    except psutil.Error:
        return 0.0


def sse_figures(watched: Watch, sse: dict[str, Any], start_at: float, until: float) -> dict[str, Any]:
    """Lags and missed updates of the streams: `watched.standings` are the versions a stream must carry."""
    lags: list[float] = []
    from_points: list[float] = []
    missed = due = 0
    expected = watched.standings
    for opened, events in zip(sse["opened"], sse["events"], strict=True):
        seen = {version for _, version in events}
        pushed = [(at, v) for at, v in events[1:] if at >= start_at]  # the first: the state on opening
        lags.extend(at - expected[v] for at, v in pushed if v in expected)
        from_points.extend(at - watched.versions[v] for at, v in pushed if v in watched.versions)
        owed = [v for v, written in expected.items() if max(opened, start_at) < written < until - SSE_GRACE_S]
        due += len(owed)
        missed += sum(1 for version in owed if version not in seen)
    return {
        "sse_events": sum(len(e) for e in sse["events"]),
        **_percentiles("sse_lag_ms", lags),
        **_percentiles("sse_lag_from_points_ms", from_points),
        "sse_missed_updates": missed,
        "sse_expected_updates": due,  # what the streams had to carry (each stream's windows while open)
        "sse_failed": sse["failed"],
        "sse_first_failure": sse["first_failure"],
        **_percentiles("sse_client_loop_lag_ms", sse["loop_lags"]),
        **_percentiles("sse_open_ms", sse["open_waits"]),
        "sse_open_after_start": sum(1 for opened in sse["opened"] if opened > start_at),
    }


def _percentiles(name: str, seconds: list[float]) -> dict[str, float | None]:
    """`name`_p50 and _p99 of durations in seconds, in milliseconds (None when there are none)."""
    ordered = sorted(seconds)
    count = len(ordered)
    return {
        f"{name}_p50": round(ordered[count // 2] * 1000, 1) if count else None,
        f"{name}_p99": round(ordered[min(count - 1, int(count * 0.99))] * 1000, 1) if count else None,
    }


# ---------------------------------------------------------------- the run


def _seed(database_url: str, feed: Path) -> int:
    """The feed's weekend in a fresh database (its teams come from `gridscore replay --teams N`)."""
    from benchmarks.seed import seed_from_feed
    from store.migrate import upgrade

    upgrade(database_url)
    return seed_from_feed(database_url, feed, datetime.now(UTC) + timedelta(days=1)).meeting_key


def _clear_live_state(redis_url: str, database_url: str, meeting: int) -> None:
    """Deletes the meeting's live state left in this Redis DB by an earlier run (another team count: its
    league order would name slots the new run's teams do not have until the new standings land)."""
    with psycopg.connect(libpq_url(database_url)) as conn:
        sessions = [
            int(r[0])
            for r in conn.execute("SELECT session_key FROM race_session WHERE meeting_key = %s", (meeting,))
        ]
    client = redis.Redis.from_url(redis_url)
    try:
        patterns = [f"{live_keys.PREFIX}:m:{meeting}:*"] + [f"{live_keys.PREFIX}:s:{s}:*" for s in sessions]
        for pattern in patterns:
            stale = list(client.scan_iter(match=pattern, count=1_000))
            if stale:
                client.delete(*stale)
        client.srem(live_keys.live_meetings(), meeting)
    finally:
        client.close()


def _readers(database_url: str, meeting: int) -> tuple[int, list[int], list[int]]:
    """(global league, every league, team ids) of the stored weekend. The bench's player reads leagues
    it is not in: the generated ones are made public here."""
    with psycopg.connect(libpq_url(database_url)) as conn:
        conn.execute("UPDATE league SET is_public = true WHERE NOT is_global")
        rows = conn.execute("SELECT id, is_global FROM league ORDER BY id").fetchall()
        ids = conn.execute("SELECT team_id FROM roster WHERE meeting_key = %s", (meeting,)).fetchall()
    global_league = next(int(r[0]) for r in rows if r[1])
    return global_league, [int(r[0]) for r in rows], [int(r[0]) for r in ids]


def _env(database_url: str, redis_url: str, workers: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env |= {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JWT_SECRET": uuid.uuid4().hex * 2,
        "API_AUTH_RATE_LIMIT": "100000",
        "API_PUBLIC_RATE_LIMIT": "1000000",
        "PYTHONUNBUFFERED": "1",
    }
    if workers is not None:
        env["API_WORKERS"] = str(workers)
    return env


def _gridscore(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gridscore.cli", *args],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_until(
    what: str, ready: Any, process: subprocess.Popen[bytes], log: Path, timeout_s: float = START_TIMEOUT_S
) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if process.poll() is not None and not ready():
            raise SystemExit(f"bench-api: {what} exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(
                f"bench-api: {what} not ready after {START_TIMEOUT_S:.0f} s:\n{log.read_text()[-2000:]}"
            )
        time.sleep(0.2)


def _up(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=2).status_code in (200, 503)
    except httpx.TransportError:
        return False


def _token(base_url: str) -> str:
    email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "benchmark password"
    httpx.post(
        f"{base_url}/api/auth/register", json={"email": email, "password": password, "display_name": "Bench"}
    ).raise_for_status()
    tokens = httpx.post(f"{base_url}/api/auth/login", json={"email": email, "password": password})
    tokens.raise_for_status()
    return str(tokens.json()["access_token"])


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, 15)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait(5)


@contextlib.contextmanager
def _scratch(server_url: str) -> Iterator[str]:
    url = _scratch_database(server_url)
    try:
        yield url
    finally:
        _drop_database(server_url, url)


def _durations(begun: float, phases: dict[str, float]) -> dict[str, float]:
    """Seconds each phase took, in order."""
    out, last = {}, begun
    for name, at in phases.items():
        out[name], last = round(at - last, 1), at
    return out


SSE_CLIENTS_PER_PROCESS = 2_500  # streams one SSE load process reads by default


def default_sse_processes(sse_clients: int) -> int:
    return max(1, -(-sse_clients // SSE_CLIENTS_PER_PROCESS))


def shares(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal whole shares (none empty unless `total` is smaller)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def merged_sse(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The SSE processes' results as one: every stream's events, failures summed, loop lags pooled."""
    failures = [r["first_failure"] for r in results if r["first_failure"]]
    return {
        "events": [e for r in results for e in r["events"]],
        "opened": [o for r in results for o in r["opened"]],
        "failed": sum(r["failed"] for r in results),
        "first_failure": failures[0] if failures else None,
        "start_at": results[0]["start_at"],
        "loop_lags": [lag for r in results for lag in r["loop_lags"]],
        "open_waits": [wait for r in results for wait in r["open_waits"]],
    }


def groups_of(target: Target, clients: int, rng: random.Random) -> list[list[str]]:
    """Each client's players: the first half read a league's leaderboard page, the rest a team's score."""
    meeting = target.meeting
    leagues = [target.global_league, *target.leagues]
    out = []
    for i in range(clients):
        if i < (clients + 1) // 2:
            chosen = [rng.choice(leagues) for _ in range(PLAYERS_PER_CLIENT)]
            out.append([f"/api/leagues/{lg}/leaderboard?meeting_key={meeting}&limit={PAGE}" for lg in chosen])
        else:
            chosen = [rng.choice(target.teams) for _ in range(PLAYERS_PER_CLIENT)]
            out.append([f"/api/teams/{t}/score?meeting_key={meeting}" for t in chosen])
    return out


def run(
    settings: Settings,
    teams: int,
    clients: int,
    seconds: float,
    sse_clients: int,
    feed: Path | None = None,
    speed: float = 100.0,
    workers: int | None = None,
    ceiling_s: float = 2.0,
    sse_processes: int | None = None,
) -> dict[str, Any]:
    feed = feed or DEFAULT_FEED
    if not feed.is_file():
        raise SystemExit(f"bench-api: no such feed file: {feed}")
    load_before = os.getloadavg()
    begun = time.perf_counter()
    phases: dict[str, float] = {}
    ceiling = client_ceiling(clients, ceiling_s) if ceiling_s > 0 else None
    phases["ceiling"] = time.perf_counter()
    logs = Path(tempfile.mkdtemp(prefix="gridscore-bench-api-"))
    with running_services(settings) as urls, _scratch(urls.database_url) as database_url:
        api = replay = None
        stop = threading.Event()
        watcher: threading.Thread | None = None
        try:
            meeting = _seed(database_url, feed)
            _clear_live_state(urls.redis_url, database_url, meeting)
            phases["seed"] = time.perf_counter()
            env = _env(database_url, urls.redis_url, workers)
            port = _free_port()
            base_url = f"http://127.0.0.1:{port}"
            api = _gridscore(["api", "--port", str(port)], env, logs / "api.log")
            _wait_until("the API", lambda: _up(base_url), api, logs / "api.log")
            token = _token(base_url)
            phases["api_start"] = time.perf_counter()
            watched = Watch()
            watcher = threading.Thread(
                target=watch, args=(urls.redis_url, meeting, api, watched, stop), daemon=True
            )
            watcher.start()
            # The streams open now, while the replay sets the race up: 5,000 opens are 5,000 authorised
            # requests, which took the API 20 s and more on a loaded machine when they came with the race.
            with psycopg.connect(libpq_url(database_url)) as conn:
                global_league = ensure_global_league(conn)
            stream = f"/api/live/leagues/{global_league}/leaderboard?meeting_key={meeting}"
            splits = sse_processes or default_sse_processes(sse_clients)
            early = start_early(
                {
                    f"sse{i}": (sse_process, ("127.0.0.1", port, stream, token, share))
                    for i, share in enumerate(shares(sse_clients, splits))
                },
                seconds,
            )
            store = redis.Redis.from_url(urls.redis_url)
            before = store.get(live_keys.meeting_version(meeting))
            replay = _gridscore(
                ["replay", str(feed), "--teams", str(teams), "--speed", str(speed)], env, logs / "replay.log"
            )
            _wait_until(
                "the replay's first window",
                lambda: store.get(live_keys.meeting_version(meeting)) not in (None, before),
                replay,
                logs / "replay.log",
                START_TIMEOUT_S + teams / 1_000,  # the replay generates and stores the teams first
            )
            store.close()
            phases["teams_and_first_window"] = time.perf_counter()
            global_league, leagues, team_ids = _readers(database_url, meeting)
            target = Target("127.0.0.1", port, token, meeting, global_league, leagues, team_ids)
            groups = groups_of(target, clients, random.Random(7))
            done = launch({"load": (load_process, (target.host, port, token, groups))}, 1.0, seconds, early)
            loaded, streamed = done["load"], merged_sse([v for k, v in done.items() if k != "load"])
            start_at, until = streamed["start_at"], streamed["start_at"] + seconds
            phases["load"] = time.perf_counter()
            stop.set()
            watcher.join(5)
            windows = sum(1 for written in watched.versions.values() if start_at <= written < until)
            standings = sum(1 for written in watched.standings.values() if start_at <= written < until)
            return {
                "teams": len(team_ids),
                "clients": clients,
                "seconds": seconds,
                "req_per_s": loaded["req_per_s"],
                "p50_ms": loaded["p50_ms"],
                "p99_ms": loaded["p99_ms"],
                "errors": loaded["errors"],
                "requests": loaded["requests"],
                "not_modified_share": loaded["not_modified_share"],
                "sse_clients": sse_clients,
                "sse_processes": splits,
                **sse_figures(watched, streamed, start_at, until),
                "windows_during_load": windows,
                "standings_during_load": standings,
                "api_rss_mb": round(watched.rss_mb, 1),
                "api_workers": workers if workers is not None else settings.api_workers,
                "replay_speed": speed,
                "client_ceiling_req_per_s": ceiling,
                "phases_s": _durations(begun, phases),
                "load_avg_before": [round(x, 2) for x in load_before],
                "load_avg_after": [round(x, 2) for x in os.getloadavg()],
                "first_error": loaded["first_error"],
                "logs": str(logs),
            }
        finally:
            stop.set()
            _stop(replay)
            _stop(api)
