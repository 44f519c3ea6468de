"""A player's season as a browser app on another origin plays it, every request through CORS: register,
verify the e-mail, pick a team, join a public league, a weekend scored by the real engine (its running
order, finishing positions), the season table, the inbox filled by the real Celery worker and pushed on
its stream, a password reset by e-mail, and deletion.

Real uvicorn, PostgreSQL, Redis, Celery worker and SMTP server; the engine is `run_replay` (the flow).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from celery import Celery

from api.app import create_app
from api.config import ApiConfig
from gridscore.base.settings import Settings
from gridscore.cli.replay import run_replay
from store.lock import lock_rosters_now
from tests.api.helpers import JAPAN, PASSWORD, cheapest_roster, seed_weekend
from tests.api.mailbox import Mailbox, celery_worker, smtp_server
from tests.api.server import serving
from tests.api.sse import EventReader

ORIGIN = "http://localhost:5173"
MEETING = 202503
SESSIONS = (2025033, 2025034)  # Qualifying, Race
SESSION_FINAL_TASK = "tasks.session_final"  # what the engine queues when a session is final
NEW_PASSWORD = "a season of horse battery staples"


class Browser:
    """An httpx client that behaves like fetch() from ORIGIN: every request carries the Origin, a
    preflight precedes what is not a simple request, and an answer without the CORS allowance fails."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.token: str | None = None

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        needs_preflight = method not in ("GET", "HEAD") or "Authorization" in headers or "json" in kwargs
        if needs_preflight:
            asked = ", ".join(
                sorted(h.lower() for h in (*headers, *(["content-type"] if "json" in kwargs else [])))
            )
            pre = self.client.options(
                path,
                headers={
                    "Origin": ORIGIN,
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": asked,
                },
            )
            assert pre.headers.get("access-control-allow-origin") == ORIGIN, (method, path, pre.status_code)
            assert method in pre.headers["access-control-allow-methods"]
        answer = self.client.request(method, path, headers={**headers, "Origin": ORIGIN}, **kwargs)
        assert answer.headers.get("access-control-allow-origin") == ORIGIN, (method, path, answer.status_code)
        return answer


@pytest.fixture
def stack(
    api_config: ApiConfig, db: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[tuple[str, Mailbox]]:
    config = replace(
        api_config,
        cors_origins=(ORIGIN,),
        celery_broker_url=redis_url,
        live_keepalive_s=300.0,  # a stream's event comes from a push, never from a keep-alive re-read
        live_push_interval_s=0.2,
    )
    with smtp_server() as (box, port):
        env = {
            "DATABASE_URL": db,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "NOTIFY_MQTT": "false",
            "GRIDSCORE_DATA_DIR": str(tmp_path / "data"),
            "LOG_FORMAT": "text",
        }
        with (
            celery_worker(env, tmp_path / "worker.log"),
            serving(create_app(config)) as url,
        ):
            yield url, box


def test_a_players_season_from_a_browser_on_another_origin(
    stack: tuple[str, Mailbox], db: str, redis_url: str
) -> None:
    url, mail = stack
    seed_weekend(db, JAPAN, days_ahead=2)
    with httpx.Client(base_url=url, timeout=30) as http, contextlib.ExitStack() as streams:
        ada, rival = Browser(http), Browser(http)
        for who, name in ((ada, "ada"), (rival, "rival")):
            email = f"{name}@example.com"
            registered = who.call(
                "POST",
                "/api/auth/register",
                json={"email": email, "password": PASSWORD, "display_name": name},
            )
            assert registered.status_code == 202
            who.token = who.call(
                "POST", "/api/auth/login", json={"email": email, "password": PASSWORD}
            ).json()["access_token"]

        # Verify the e-mail with the code the worker mailed.
        assert ada.call("POST", "/api/auth/verification").status_code == 202
        code = Mailbox.code(mail.wait_for("ada@example.com", "Confirm"))
        assert ada.call("POST", "/api/auth/verification/confirm", json={"code": code}).json()[
            "email_verified"
        ]

        # Pick a team for the coming weekend.
        weekend = ada.call("GET", "/api/meetings/current").json()
        assert (weekend["meeting_key"], weekend["locked"]) == (MEETING, False)
        rules = ada.call("GET", "/api/rules").json()
        assets = ada.call("GET", "/api/assets").json()
        teams = {}
        for who, name, skip in ((ada, "Ada Racing", 0), (rival, "Rival GP", 3)):
            team = who.call("POST", "/api/teams", json={"name": name}).json()["id"]
            roster = cheapest_roster(assets, skip_drivers=skip)
            preview = who.call("POST", f"/api/teams/{team}/roster/preview", json=roster).json()
            assert preview["valid"]
            assert preview["cost"] <= rules["budget"]
            assert who.call("PUT", f"/api/teams/{team}/roster", json=roster).status_code == 200
            teams[name] = team

        # A public league, joined by its id.
        league = rival.call("POST", "/api/leagues", json={"name": "Open Paddock", "is_public": True}).json()
        rival.call("POST", f"/api/leagues/{league['id']}/join", json={"team_id": teams["Rival GP"]})
        listed = ada.call("GET", "/api/leagues/public").json()["items"]
        assert league["id"] in [lg["id"] for lg in listed]
        joined = ada.call("POST", f"/api/leagues/{league['id']}/join", json={"team_id": teams["Ada Racing"]})
        assert joined.json()["teams"] == 2

        # The weekend locks and the engine scores it; the worker tells the owners.
        lock_rosters_now(db, MEETING)
        settings = Settings(database_url=db, redis_url=redis_url)
        assert (
            run_replay(settings, [JAPAN], teams=5, speed=0, window=timedelta(milliseconds=500), quiet=True)
            == 0
        )
        # The inbox stream, open while the worker tells the owners: each notification is pushed at once.
        ticket = ada.call("POST", "/api/live/tickets").json()["ticket"]
        pushes = EventReader(
            streams.enter_context(
                http.stream(
                    "GET", "/api/live/notifications", params={"ticket": ticket}, headers={"Origin": ORIGIN}
                )
            )
        )
        assert pushes.response.headers.get("access-control-allow-origin") == ORIGIN
        assert pushes.next_event().json()["unread"] == 0
        broker = Celery("engine-stand-in", broker=redis_url)
        for session_key in SESSIONS:
            broker.send_task(SESSION_FINAL_TASK, args=(session_key,))

        # The Race's classified running order, and each driver's finishing position in the season's results.
        order = ada.call("GET", f"/api/sessions/{SESSIONS[-1]}/running-order").json()
        assert order["final"]
        assert [i["position"] for i in order["items"][:3]] == [1, 2, 3]
        assert not any(i["provisional"] for i in order["items"])
        assert order["as_of"]["window_time"] is not None  # the session clock the order stands at
        live_ticket = ada.call("POST", "/api/live/tickets").json()["ticket"]
        with http.stream(
            "GET",
            f"/api/live/sessions/{SESSIONS[-1]}/running-order",
            params={"ticket": live_ticket},
            headers={"Origin": ORIGIN},
        ) as order_stream:
            assert order_stream.headers.get("access-control-allow-origin") == ORIGIN
            first = EventReader(order_stream).next_event()
            assert (first.event, first.json(), first.id) == (
                "running_order",
                order,
                str(order["as_of"]["version"]),
            )
        results = ada.call("GET", "/api/seasons/assets").json()
        drivers = {d["name"]: d["weekends"][0] for d in results["drivers"]}
        for item in order["items"]:
            assert drivers[item["driver"]["code"]]["position"] == item["position"]

        score = ada.call(
            "GET", f"/api/teams/{teams['Ada Racing']}/score", params={"meeting_key": MEETING}
        ).json()
        assert (score["final"], score["source"]) == (True, "final")
        season = ada.call("GET", f"/api/leagues/{league['id']}/season").json()
        assert season["final_weekends"] == 1
        assert {s["team_id"] for s in season["standings"]} == set(teams.values())
        mine = next(s for s in season["standings"] if s["team_id"] == teams["Ada Racing"])
        assert mine["points"] == score["net_points"]

        # The inbox: the final results, from the worker.
        deadline = time.monotonic() + 60
        while ada.call("GET", "/api/notifications/unread").json()["unread"] < len(SESSIONS):
            assert time.monotonic() < deadline, "the worker did not notify the owner within 60 s"
            time.sleep(0.25)
        pushed = pushes.until(lambda m: m.json()["unread"] == len(SESSIONS), timeout_s=30)
        assert not [m for m in pushes.seen if "keep-alive" in m.comments]  # pushed, not re-read
        assert pushed[-1].json()["latest"]["kind"] == "results_final"
        streams.close()  # the tab goes away
        inbox = ada.call("GET", "/api/notifications").json()
        assert inbox["total"] == len(SESSIONS), inbox
        assert {n["kind"] for n in inbox["items"]} == {"results_final"}
        assert ada.call("POST", "/api/notifications/read-all").json() == {"marked": len(SESSIONS)}

        # A forgotten password, reset by e-mail; the old tokens stop working.
        seen = mail.count()
        assert (
            ada.call("POST", "/api/auth/password-reset", json={"email": "ada@example.com"}).status_code == 202
        )
        code = Mailbox.code(mail.wait_for("ada@example.com", "Reset", after=seen))
        reset = ada.call(
            "POST", "/api/auth/password-reset/confirm", json={"code": code, "new_password": NEW_PASSWORD}
        )
        assert reset.status_code == 204
        assert ada.call("GET", "/api/auth/me").status_code == 401
        ada.token = ada.call(
            "POST", "/api/auth/login", json={"email": "ada@example.com", "password": NEW_PASSWORD}
        ).json()["access_token"]

        # Delete the account: the league's table keeps the team, anonymous.
        assert ada.call("POST", "/api/auth/me/delete", json={"password": NEW_PASSWORD}).status_code == 204
        after = rival.call("GET", f"/api/leagues/{league['id']}/season").json()
        kept = next(s for s in after["standings"] if s["team_id"] == teams["Ada Racing"])
        assert (kept["points"], kept["team_name"]) == (mine["points"], f"Team {teams['Ada Racing']}")
