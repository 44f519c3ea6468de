"""The results page mid-weekend, in a real browser: Qualifying is final, the Race is not. A league's results
are then its standings after Qualifying, and the page says so (it called them final and headed the page
"Final results" while the Race was still to come)."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import expect

from store.lock import lock_rosters_now
from tests.api.helpers import JAPAN, PASSWORD, create_team, field_team, register, seed_weekend
from tests.api.test_live_push import qualifying_only, replay
from tests.web.conftest import Browser
from tests.web.test_walk import in_thread

MEETING, QUALIFYING = 202503, 2025033


def test_results_before_the_race_is_final_say_which_session_they_follow(
    browser: Browser, web_url: str, fresh: str, redis_url: str, tmp_path: Path
) -> None:
    seed_weekend(fresh, JAPAN, days_ahead=2)
    api = httpx.Client(base_url=web_url, timeout=30)
    ada = register(api, "ada")
    league = api.post("/api/leagues", json={"name": "Paddock Club"}, headers=ada.headers).json()
    team = create_team(api, ada, "Ada Racing")
    field_team(api, ada, team, api.get("/api/assets").json(), 0, league["invite_code"])
    in_thread(lock_rosters_now, fresh, MEETING)  # Playwright's loop holds this thread
    in_thread(replay, fresh, redis_url, qualifying_only(tmp_path))
    results = api.get(
        f"/api/leagues/{league['id']}/results", params={"meeting_key": MEETING}, headers=ada.headers
    ).json()
    assert (results["final"], results["session_key"]) == (False, QUALIFYING), "Qualifying final, not the Race"

    page = browser.go("/login?next=/results")
    page.fill("#email", ada.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(f"[data-results='{league['id']}'] tr.mine")
    expect(page.locator(f"[data-results-kind='{league['id']}']")).to_contain_text(
        "Standings after Qualifying: the Race is not final yet."
    )
    caption = page.locator(f"[data-results='{league['id']}'] caption").text_content()
    assert caption == "Paddock Club: standings after Qualifying, not final"
    assert page.inner_text("h2#final-h").startswith("Results: ")
    assert "final standings" not in page.inner_text("main").lower()
    browser.check("results-after-qualifying")
