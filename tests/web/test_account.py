"""The account in a real browser: log in (a wrong password refused in the API's words), change the
password (wrong and weak ones refused, staying on the page; the right one ends the session), delete the
account. Checked like every page: axe-core, no foreign request, no CSP breach."""

from __future__ import annotations

import httpx

from tests.api.helpers import PASSWORD, register
from tests.web.conftest import Browser

NEW_PASSWORD = "a brand new passphrase for grace"


def first_line(browser: Browser, selector: str) -> str:
    locator = browser.page.locator(selector)
    locator.wait_for()
    return locator.inner_text().splitlines()[0]


def test_log_in_change_the_password_and_delete_the_account(
    browser: Browser, web_url: str, fresh: str
) -> None:
    api = httpx.Client(base_url=web_url, timeout=30)
    grace = register(api, "grace")

    page = browser.go("/login?next=/account")
    page.fill("#email", grace.email)
    page.fill("#password", "not my password")
    page.click("button[type=submit]")
    wrong = api.post("/api/auth/login", json={"email": grace.email, "password": "not my password"}).json()
    assert first_line(browser, "[data-form=login] [data-error]") == wrong["detail"]
    browser.check("login-refused")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{web_url}/account")
    page.wait_for_function("() => document.querySelector('#profile-email').value !== ''")
    assert page.input_value("#profile-email") == grace.email

    # A wrong current password is the form's error, not the end of the session.
    form = "[data-form=password]"
    page.fill("#current-password", "not my password")
    page.fill("#new-password", NEW_PASSWORD)
    page.click(f"{form} button")
    refused = api.post(
        "/api/auth/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=grace.headers,
    ).json()
    assert first_line(browser, f"{form} [data-error]") == refused["detail"]
    page.fill("#current-password", PASSWORD)
    page.fill("#new-password", "password12")
    page.click(f"{form} button")
    weak = api.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "password12"},
        headers=grace.headers,
    ).json()
    browser.page.wait_for_function(
        "detail => document.querySelector('[data-form=password] [data-error]').innerText.startsWith(detail)",
        arg=weak["detail"],
    )
    assert page.url.endswith("/account")
    browser.check("account-refused")

    page.fill("#new-password", NEW_PASSWORD)
    page.click(f"{form} button")
    page.wait_for_url("**/login?changed=1")
    assert "log in with the new one" in page.inner_text("[data-status]")
    assert api.get("/api/auth/me", headers=grace.headers).status_code == 401, "every session ended"

    page.fill("#email", grace.email)
    page.fill("#password", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{web_url}/")
    page = browser.go("/account")
    page.once("dialog", lambda dialog: dialog.accept())
    page.fill("#delete-password", NEW_PASSWORD)
    page.click("[data-form=delete] button")
    page.wait_for_url("**/?deleted=1")
    gone = api.post("/api/auth/login", json={"email": grace.email, "password": NEW_PASSWORD})
    assert gone.status_code == 401
    browser.check("deleted")
    api.close()
