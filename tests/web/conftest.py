"""The web app in a real browser: headless Chromium (Debian's, driven by Playwright) against the API served
by uvicorn over real Postgres and Redis.

Every page the tests open is checked the same way (`Browser.check`): axe-core finds no serious or critical
violation, nothing was asked of another origin, the page broke no Content-Security-Policy rule and threw
no error, and a screenshot is saved under the test's tmp dir. Without Chromium these tests skip, saying
so; under GRIDSCORE_REQUIRE_SERVICES=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from playwright.sync_api import Browser as PlaywrightBrowser
from playwright.sync_api import ConsoleMessage, Page, Playwright, Request, Route, sync_playwright

from api.app import create_app
from api.config import ApiConfig
from gridscore.base.services import ServiceUrls
from gridscore.base.settings import Settings
from tests.api.server import serving

JWT_SECRET = "test-secret-for-the-web-tests-0123456789abcdef"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PHONE = {"width": 375, "height": 812}
BLOCKING = ("serious", "critical")
PUSH_INTERVAL_S = 0.25  # the streams' least time between two pushes (LIVE_PUSH_INTERVAL_MS is 200 by default)


def chromium_path() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    reason = "no Chromium installed (apt-get install chromium)"
    if os.environ.get("GRIDSCORE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and GRIDSCORE_REQUIRE_SERVICES=1")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def web_config(database_url: str, redis_url: str) -> ApiConfig:
    settings = Settings(jwt_secret=JWT_SECRET, api_auth_rate_limit=100_000, api_public_rate_limit=100_000)
    return replace(
        ApiConfig.from_settings(settings, ServiceUrls(database_url, redis_url)),
        rate_limit_namespace="gs:test:web",
        password_time_cost=1,  # still argon2id, at a test's cost
        password_memory_kib=1024,
        live_push_interval_s=PUSH_INTERVAL_S,
        live_keepalive_s=2.0,
        live_ticket_ttl=timedelta(seconds=30),
        live_ticket_namespace="gs:test:web:ticket",
    )


@pytest.fixture(scope="session")
def web_url(web_config: ApiConfig) -> Iterator[str]:
    with serving(create_app(web_config)) as url:
        yield url


@pytest.fixture(scope="module")
def playwright_session() -> Iterator[Playwright]:
    """Module-scoped: Playwright's sync API keeps an event loop on this thread while it runs, which
    would break the asyncio.run of tests after these."""
    chromium_path()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def chromium(playwright_session: Playwright) -> Iterator[PlaywrightBrowser]:
    browser = playwright_session.chromium.launch(
        executable_path=chromium_path(), headless=True, args=["--no-sandbox", "--disable-gpu"]
    )
    yield browser
    browser.close()


@dataclass
class Browser:
    """One player's browser tab on the app, with the checks every page must pass."""

    page: Page
    origin: str
    shots: Path
    outside: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def go(self, path: str) -> Page:
        self.page.goto(f"{self.origin}{path}")
        return self.page

    def check(self, name: str) -> None:
        """axe-core in the page (no serious or critical violation), no foreign request, no CSP breach or
        script error so far, nothing wider than the phone's screen, and a screenshot `name`.png."""
        self.page.wait_for_load_state("load")
        result = self.page.evaluate(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
        )
        blocking = [v for v in result if v["impact"] in BLOCKING]
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)
        self.checked.append(name)
        assert blocking == [], f"axe-core on {name}: {blocking}"
        assert self.outside == [], f"requests outside the app's origin: {self.outside}"
        assert self.problems == [], f"errors in the page: {self.problems}"
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width} px wide on a {PHONE['width']} px screen"


def open_browser(chromium: PlaywrightBrowser, web_url: str, shots: Path) -> Iterator[Browser]:
    # axe comes in as an init script (evaluated by the browser, like an extension's): the pages' own
    # Content-Security-Policy stays on, so a page that breaks it fails the test.
    context = chromium.new_context(viewport=PHONE, device_scale_factor=1)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    tab = Browser(page=page, origin=web_url, shots=shots)
    netloc = urlsplit(web_url).netloc

    def guard(route: Route) -> None:
        if urlsplit(route.request.url).netloc == netloc:
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def foreign(request: Request) -> None:
        if urlsplit(request.url).netloc != netloc and not request.url.startswith(("data:", "about:")):
            tab.outside.append(request.url)

    def console(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            tab.problems.append(text)

    page.route("**/*", guard)
    page.on("request", foreign)
    page.on("console", console)
    page.on("pageerror", lambda error: tab.problems.append(str(error)))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def browser(chromium: PlaywrightBrowser, web_url: str, tmp_path: Path) -> Iterator[Browser]:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    yield from open_browser(chromium, web_url, shots)


@pytest.fixture
def fresh(db: str, redis_client: redis.Redis) -> str:
    """An empty database and Redis for the test."""
    return db


def text_of(page: Page, selector: str) -> str:
    return page.locator(selector).inner_text().strip()


def numbers(values: list[Any]) -> list[int]:
    return [int(v) for v in values]
