"""The interactive OpenAPI UI renders with no network: /schema in headless Chromium (Debian's, driven by
Playwright) against a real server, every request off the server's origin refused and recorded. The page
must show the API's title and its operations, and must have asked for nothing outside the API (it used to
load its scripts from a CDN and render white offline).

Without Chromium the test skips, saying so; under GRIDSCORE_REQUIRE_SERVICES=1 (CI) it fails instead.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Route, sync_playwright

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    reason = "no Chromium installed (apt-get install chromium)"
    if os.environ.get("GRIDSCORE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and GRIDSCORE_REQUIRE_SERVICES=1")
    pytest.skip(reason)


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
def test_the_docs_ui_renders_offline_from_the_api_alone(api_url: str, path: str) -> None:
    executable = chromium_path()
    origin = urlsplit(api_url).netloc
    outside: list[str] = []
    failed: list[str] = []

    def offline(route: Route) -> None:
        """No network but the API's own server."""
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.route("**/*", offline)
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(f"{api_url}{path}", wait_until="networkidle")
            page.wait_for_selector(".opblock", timeout=15_000)
            title = page.inner_text(".info .title")
            operations = page.locator(".opblock").count()
            errors = page.locator(".errors-wrapper").count()
        finally:
            browser.close()
    assert outside == [], f"the page asked for files outside the API: {outside}"
    assert failed == [], f"requests of the page failed: {failed}"
    assert "GridScore API" in title
    paths = httpx.get(f"{api_url}/schema/openapi.json").json()["paths"]
    assert operations == sum(len(item) for item in paths.values())
    assert errors == 0


def test_the_ui_files_are_served_with_a_long_cache(api_url: str) -> None:
    html = httpx.get(f"{api_url}/schema").text
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f"/schema/assets/{asset}" in html
        answer = httpx.get(f"{api_url}/schema/assets/{asset}")
        assert answer.status_code == 200
        assert len(answer.content) > 10_000
        assert "max-age=86400" in answer.headers["cache-control"]
    assert "cdn." not in html
    assert "https://" not in html.split("<body>")[0]
