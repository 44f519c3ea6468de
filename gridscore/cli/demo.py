"""`gridscore demo FEED`: the API with its web app and a replayed race, together, for a newcomer's browser.

Seeds the feed's weekend (open for rosters), serves the API and the web app, makes a demo player whose
team is in a league with three rivals (through the API, as a player would), locks the weekend and dates
its sessions when the replay plays them, prints the URL and the login, then replays the race at the given
speed for the generated teams: the live page moves in the browser while the terminal shows the live top 10.
Ends when the race is over (after `--linger` seconds of browsing: as given, or 600 in a terminal and none in
a script) or on Ctrl-C, SIGTERM or SIGHUP, stopping the server and the embedded databases.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from gridscore.base.services import ServiceUrls, running_services
from gridscore.base.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]
DEMO_EMAIL = "demo@gridscore.example"
DEMO_PASSWORD = "watch-the-race-at-silverstone"  # noqa: S105  (a demo account on a local database)
RIVALS = ("Lando", "Oscar", "Charles")
LEAGUE = "Demo League"
DEMO_AUTH_RATE_LIMIT = 100  # log-ins a minute from one address
DEFAULT_WAIT_S = 20.0  # seconds to open the live page before the race, in a terminal
DEFAULT_LINGER_S = 600.0  # seconds to browse the results after it, in a terminal


@dataclass(frozen=True, slots=True)
class DemoPlayer:
    team_id: int
    league_id: int
    invite_code: str


def affordable_roster(assets: dict[str, Any], skip: int) -> dict[str, Any]:
    """Dear picks first (drivers from the `skip`-th dearest), each only if the cheapest others still fit."""
    budget = float(assets["budget"])
    cheapest_pair = sum(sorted(c["price"] for c in assets["constructors"])[:2])
    drivers = greedy(assets["drivers"], 5, budget - cheapest_pair, skip)
    left = budget - sum(d["price"] for d in drivers)
    constructors = greedy(assets["constructors"], 2, left, 0)
    names = [d["name"] for d in drivers]
    return {"drivers": names, "constructors": [c["name"] for c in constructors], "boost_driver": names[0]}


def greedy(items: list[dict[str, Any]], count: int, budget: float, skip: int) -> list[dict[str, Any]]:
    chosen: list[dict[str, Any]] = []
    for item in sorted(items, key=lambda a: (-a["price"], a["name"]))[skip:]:
        others = sorted(a["price"] for a in items if a is not item and a not in chosen)
        if item["price"] + sum(others[: count - len(chosen) - 1]) <= budget - sum(a["price"] for a in chosen):
            chosen.append(item)
        if len(chosen) == count:
            break
    return chosen


def player(api: httpx.Client, email: str, password: str, name: str) -> dict[str, str]:
    """Register (the same answer if the account exists), log in; the bearer header."""
    api.post("/api/auth/register", json={"email": email, "password": password, "display_name": name})
    login = api.post("/api/auth/login", json={"email": email, "password": password})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def team_of(api: httpx.Client, headers: dict[str, str], name: str, roster: dict[str, Any]) -> int:
    teams = api.get("/api/teams", headers=headers).json()["items"]
    found = next((t["id"] for t in teams if t["name"] == name), None)
    if found is None:
        created = api.post("/api/teams", json={"name": name}, headers=headers)
        created.raise_for_status()
        found = created.json()["id"]
    api.put(f"/api/teams/{found}/roster", json=roster, headers=headers).raise_for_status()
    return int(found)


def seed_players(base_url: str) -> DemoPlayer:
    """The demo player's team and league with three rivals, through the API."""
    with httpx.Client(base_url=base_url, timeout=30) as api:
        assets = api.get("/api/assets").json()
        demo = player(api, DEMO_EMAIL, DEMO_PASSWORD, "Demo Player")
        team = team_of(api, demo, "Demo Racing", affordable_roster(assets, 0))
        leagues = api.get("/api/leagues", headers=demo).json()["items"]
        league = next((x for x in leagues if x["name"] == LEAGUE), None)
        if league is None:
            made = api.post("/api/leagues", json={"name": LEAGUE}, headers=demo)
            made.raise_for_status()
            league = made.json()
        for number, rival in enumerate(RIVALS, start=1):
            headers = player(api, f"{rival.lower()}@gridscore.example", DEMO_PASSWORD, rival)
            rival_team = team_of(api, headers, f"{rival} GP", affordable_roster(assets, number))
            join = {"invite_code": league["invite_code"], "team_id": rival_team}
            api.post("/api/leagues/join", json=join, headers=headers)  # 409 when already in: fine
        api.post(
            "/api/leagues/join", json={"invite_code": league["invite_code"], "team_id": team}, headers=demo
        )
        return DemoPlayer(team, int(league["id"]), str(league["invite_code"]))


@contextmanager
def serving(app: Any, host: str, port: int) -> Iterator[str]:
    """The API under uvicorn on a thread; stopped (lifespan shutdown included) on exit."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="demo-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit(f"gridscore demo: the API did not start on {host}:{port} (port taken?)")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def embedded_note(urls: ServiceUrls, settings: Settings) -> str:
    """Where the embedded servers keep their data, and that they stop with the demo."""
    if not urls.embedded:
        return ""
    return f" (under {settings.data_dir}/, stopped when the demo ends)"


def pause_length(seconds: float | None, default: float) -> float:
    """How long `pause` waits: the seconds given, whatever the output; unless given, the default in a
    terminal and none in a script (a test or a pipe runs the demo straight through)."""
    if seconds is None:
        return default if sys.stdout.isatty() else 0.0
    return max(seconds, 0.0)


def pause(seconds: float, message: str) -> None:
    """Wait: a countdown in a terminal, one line in a log."""
    if not seconds:
        return
    if not sys.stdout.isatty():
        print(f"{message} {seconds:.0f} s", flush=True)
        time.sleep(seconds)
        return
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        print(f"\r{message} {left:4.0f} s ", end="", flush=True)
        time.sleep(min(1.0, left))
    print()


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API and the web app, seed a demo player in a league, replay the race."""
    import psycopg
    from bytewax.errors import BytewaxRuntimeError

    from api.app import create_app
    from api.config import ApiConfig
    from benchmarks.seed import schedule_as_replayed, seed_from_feed
    from gridscore.cli.replay import run_replay
    from store.lock import lock_rosters_now
    from store.migrate import upgrade
    from store.notify_ledger import create_results_final
    from store.urls import libpq_url

    feed = Path(args.feed)
    if not feed.is_file():
        raise SystemExit(f"gridscore: no such feed file: {feed}")
    with running_services(settings) as urls:
        upgrade(urls.database_url)
        weekend = seed_from_feed(urls.database_url, feed, datetime.now(UTC) + timedelta(days=1))
        # A demo's log-ins are meant to end with it: its own random secret, without the warning that an
        # unset JWT_SECRET gives a real deployment (a newcomer's first lines were that warning).
        secret = settings.jwt_secret or secrets.token_urlsafe(48)
        config = ApiConfig.from_settings(settings.model_copy(update={"jwt_secret": secret}), urls)
        # One address plays everyone here (four players, then you in the browser, maybe twice): room for it.
        app = create_app(replace(config, auth_rate_limit=max(config.auth_rate_limit, DEMO_AUTH_RATE_LIMIT)))
        try:
            with serving(app, args.host, args.port) as base_url:
                demo = seed_players(base_url)
                lock_rosters_now(urls.database_url, weekend.meeting_key)
                # Seeded a day ahead so that the players could build rosters; locked, the weekend is on
                # the replay's clock (the pages said the Race was tomorrow while it replayed).
                wait = pause_length(args.wait, DEFAULT_WAIT_S)
                starts = datetime.now(UTC) + timedelta(seconds=wait)
                schedule_as_replayed(urls.database_url, feed, starts, args.speed)
                print(
                    f"\nGridScore is at {base_url}/  log in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
                    f"  live race: {base_url}/live   league '{LEAGUE}' (code {demo.invite_code}):"
                    f" {base_url}/league?id={demo.league_id}\n"
                    f"  servers: {urls.describe()}{embedded_note(urls, settings)}\n",
                    flush=True,
                )
                pause(wait, "Open the live page: the race starts in")
                resolved = settings.model_copy(
                    update={"database_url": urls.database_url, "redis_url": urls.redis_url}
                )
                window = timedelta(milliseconds=settings.window_ms)
                code = run_replay(resolved, [feed], teams=args.teams, speed=args.speed, window=window)
                # What the Celery worker would do: tell every owner their final results (the inbox).
                with psycopg.connect(libpq_url(urls.database_url), autocommit=True) as conn:
                    query = "SELECT session_key FROM race_session WHERE meeting_key = %s ORDER BY session_key"
                    for (session_key,) in conn.execute(query, (weekend.meeting_key,)).fetchall():
                        create_results_final(conn, session_key, mqtt=False, email=False)
                print(f"\nThe race is over: results at {base_url}/results, the inbox at {base_url}/inbox")
                pause(pause_length(args.linger, DEFAULT_LINGER_S), "Ctrl-C to stop; stopping in")
                return code
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (see stopping_on_signals)
            print(f"\ngridscore demo: stopped{f' ({exc})' if exc.args else ''}", flush=True)
            return 130
        except BytewaxRuntimeError as exc:  # Ctrl-C during the replay reaches us through Bytewax
            if "signal received" not in str(exc):
                raise
            print("\ngridscore demo: stopped", flush=True)
            return 130


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help=run_demo.__doc__)
    p.add_argument("feed", metavar="FEED")
    p.add_argument("--teams", type=int, default=10_000, help="generated teams besides the demo league's")
    p.add_argument("--speed", type=float, default=60.0, help="replay speed (1: real time)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--wait",
        type=float,
        default=None,
        help=f"seconds to open the live page first (unset: {DEFAULT_WAIT_S:.0f} in a terminal, else 0)",
    )
    p.add_argument(
        "--linger",
        type=float,
        default=None,
        help=f"seconds to browse the results after it (unset: {DEFAULT_LINGER_S:.0f} in a terminal, else 0)",
    )


COMMANDS: dict[str, Handler] = {"demo": run_demo}
