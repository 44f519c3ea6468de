"""Authentication as OWASP ASVS level 2 asks (issue 12, finding 8), over real HTTP with real Postgres and
Redis: logout, "log out everywhere" and a password change end access tokens at once; a password policy;
Bearer only; registration that does not tell whether an e-mail has an account; refresh tokens rotated
per login (device) with reuse detection that ends that login only, and two tabs that refresh at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

import httpx
import pytest
import redis

from api.app import create_app
from api.config import ApiConfig
from tests.api.helpers import PASSWORD, register
from tests.api.server import serving

NEW_PASSWORD = "a different long passphrase 42"


@dataclass
class Device:
    """One login: its access and refresh tokens."""

    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


def login(api: httpx.Client, email: str, password: str = PASSWORD) -> Device:
    response = api.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return Device(response.json()["access_token"], response.json()["refresh_token"])


def refresh(api: httpx.Client, token: str) -> httpx.Response:
    return api.post("/api/auth/refresh", json={"refresh_token": token})


def works(api: httpx.Client, device: Device) -> bool:
    status = api.get("/api/auth/me", headers=device.headers).status_code
    assert status in (200, 401)
    return status == 200


def test_logout_ends_this_session_at_once_and_no_other(api: httpx.Client, redis_client: redis.Redis) -> None:
    player = register(api)
    phone, laptop = login(api, player.email), login(api, player.email)
    assert works(api, phone)
    assert works(api, laptop)
    assert api.post("/api/auth/logout", headers=phone.headers).status_code == 204
    assert not works(api, phone)  # the access token is refused at once, well before it expires
    assert api.get("/api/teams", headers=phone.headers).status_code == 401
    assert refresh(api, phone.refresh).status_code == 401
    assert works(api, laptop)
    # Redis is a cache: emptied, PostgreSQL still says the session has ended.
    redis_client.flushdb()
    assert not works(api, phone)
    assert works(api, laptop)
    # A stale tab of the phone refreshing after the logout gets 401, and the laptop stays logged in.
    assert refresh(api, phone.refresh).status_code == 401
    assert works(api, laptop)
    renewed = refresh(api, laptop.refresh)
    assert renewed.status_code == 200, renewed.text


def test_log_out_everywhere(api: httpx.Client) -> None:
    player = register(api)
    other = register(api)
    devices = [login(api, player.email) for _ in range(3)]
    bystander = login(api, other.email)
    assert api.post("/api/auth/logout-all", headers=devices[0].headers).status_code == 204
    for device in devices:
        assert not works(api, device)
        assert refresh(api, device.refresh).status_code == 401
    assert works(api, bystander)
    assert works(api, login(api, player.email))  # logging in again starts a new session


def test_password_change_needs_the_current_one_and_ends_the_other_sessions(api: httpx.Client) -> None:
    player = register(api, "changer")
    here, elsewhere = login(api, player.email), login(api, player.email)
    url = "/api/auth/password"
    wrong = api.post(
        url, json={"current_password": "not it at all", "new_password": NEW_PASSWORD}, headers=here.headers
    )
    assert wrong.status_code == 401
    weak = api.post(
        url, json={"current_password": PASSWORD, "new_password": "password12"}, headers=here.headers
    )
    assert weak.status_code == 400
    assert "too easy to guess" in weak.json()["detail"]
    named = api.post(
        url, json={"current_password": PASSWORD, "new_password": "changer@example.com"}, headers=here.headers
    )
    assert named.status_code == 400  # the player's own e-mail is easy to guess
    assert works(api, elsewhere)  # refusals change nothing

    changed = api.post(
        url, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=here.headers
    )
    assert changed.status_code == 204, changed.text
    assert not works(api, elsewhere)
    assert refresh(api, elsewhere.refresh).status_code == 401
    assert works(api, here)  # this session goes on
    assert refresh(api, here.refresh).status_code == 200
    assert api.post("/api/auth/login", json={"email": player.email, "password": PASSWORD}).status_code == 401
    login(api, player.email, NEW_PASSWORD)


@pytest.mark.parametrize(
    "password", ["1234567890", "password12", " " * 10, "qwertyuiop", "aaaaaaaaaaaa", "short"]
)
def test_common_and_short_passwords_are_refused_with_a_reason(api: httpx.Client, password: str) -> None:
    response = api.post(
        "/api/auth/register",
        json={"email": "weak@example.com", "password": password, "display_name": "Weak"},
    )
    assert response.status_code == 400, response.text
    reason = response.text
    assert "password" in reason
    assert "too easy to guess" in reason or "at least 10 characters" in reason, reason
    assert (
        api.post("/api/auth/login", json={"email": "weak@example.com", "password": password}).status_code
        == 401
    )


@pytest.mark.parametrize(
    "shape",
    ["Basic {t}", "{t}", "Token {t}", "JWT {t}", "Bearer", "Bearer {t} {t}", "Bearer,{t}", "Digest {t}"],
)
def test_only_bearer_tokens_are_accepted(api: httpx.Client, shape: str) -> None:
    player = register(api)
    token = player.headers["Authorization"].split()[1]
    assert (
        api.get("/api/auth/me", headers={"Authorization": f"bearer {token}"}).status_code == 200
    )  # any case
    for path in ("/api/auth/me", "/api/teams"):
        refused = api.get(path, headers={"Authorization": shape.format(t=token)})
        assert refused.status_code == 401, (shape, path, refused.text)
        assert refused.json()["detail"]


def test_registration_does_not_tell_whether_an_email_has_an_account(api: httpx.Client) -> None:
    register(api, "known")
    body = {"password": "some other long passphrase", "display_name": "Impostor"}
    known = api.post("/api/auth/register", json={"email": "Known@Example.com", **body})
    new = api.post("/api/auth/register", json={"email": "unknown@example.com", **body})
    assert known.status_code == new.status_code == 202
    assert known.json() == new.json()
    assert set(known.headers) == set(new.headers)
    # The known account is untouched: its password and name are the owner's.
    owner = login(api, "known@example.com")
    assert api.get("/api/auth/me", headers=owner.headers).json()["display_name"] == "known"
    refused = api.post("/api/auth/login", json={"email": "known@example.com", "password": body["password"]})
    assert refused.status_code == 401


def test_two_tabs_refreshing_at_once_get_the_same_pair(api: httpx.Client, api_url: str) -> None:
    player = register(api)
    device = login(api, player.email)
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def tab() -> None:
        with httpx.Client(base_url=api_url, timeout=30) as client:
            barrier.wait()
            answers.append(refresh(client, device.refresh))

    tabs = [threading.Thread(target=tab) for _ in range(2)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join()
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    first, second = (a.json() for a in answers)
    assert (first["access_token"], first["refresh_token"]) == (
        second["access_token"],
        second["refresh_token"],
    )
    assert first["refresh_token"] != device.refresh
    renewed = Device(first["access_token"], first["refresh_token"])
    assert works(api, renewed)
    # A third tab a moment later, still with the old token, gets the same pair too.
    third = refresh(api, device.refresh)
    assert third.status_code == 200
    assert third.json()["refresh_token"] == first["refresh_token"]
    assert refresh(api, renewed.refresh).status_code == 200  # and the session rotates on


@pytest.fixture
def no_grace(api_config: ApiConfig, db: str, redis_client: redis.Redis) -> Iterator[httpx.Client]:
    """A server whose grace period for a replaced refresh token is one second."""
    config = replace(api_config, refresh_grace=timedelta(seconds=1), session_cache_namespace="gs:test:grace")
    with serving(create_app(config)) as url, httpx.Client(base_url=url) as client:
        yield client


def test_a_reused_refresh_token_ends_its_session_only(no_grace: httpx.Client) -> None:
    api = no_grace
    player = register(api)
    stolen, other_device = login(api, player.email), login(api, player.email)
    rotated = refresh(api, stolen.refresh)
    assert rotated.status_code == 200
    current = Device(rotated.json()["access_token"], rotated.json()["refresh_token"])
    time.sleep(1.5)  # past the grace period: the old token is a replay now
    replay = refresh(api, stolen.refresh)
    assert replay.status_code == 401
    assert "used before" in replay.json()["detail"]
    # That session is over, access and refresh...
    assert not works(api, current)
    assert refresh(api, current.refresh).status_code == 401
    # ...and the player's other device is not.
    assert works(api, other_device)
    assert refresh(api, other_device.refresh).status_code == 200


def test_tokens_of_an_old_shape_or_for_another_account_are_refused(api: httpx.Client) -> None:
    alice, bob = register(api), register(api)
    a, b = login(api, alice.email), login(api, bob.email)
    assert refresh(api, a.access).status_code == 401  # an access token is no refresh token
    assert api.get("/api/auth/me", headers={"Authorization": f"Bearer {b.refresh}"}).status_code == 401
    assert works(api, a)
    assert works(api, b)
