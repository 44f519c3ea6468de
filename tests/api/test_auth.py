"""Accounts and tokens: register, log in, refresh (rotated), current user; JWTs checked; rate limits; no
secret in the logs."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import redis

from api.app import create_app
from api.config import ApiConfig
from api.domain.accounts.tokens import ACCESS_AUDIENCE, ISSUER
from tests.api.conftest import JWT_SECRET
from tests.api.helpers import PASSWORD, Player, register
from tests.api.server import serving


def claims(player: Player, **overrides: object) -> dict[str, object]:
    """An access token's claims for the player's session, to be signed (or mis-signed) by the test."""
    now = datetime.now(UTC)
    token = player.headers["Authorization"].split()[1]
    base: dict[str, object] = {
        "sid": jwt.decode(token, options={"verify_signature": False})["sid"],
        "sub": str(player.id),
        "iat": int(now.timestamp()) - 5,
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "aud": ACCESS_AUDIENCE,
        "iss": ISSUER,
    }
    return base | overrides


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_register_login_me_refresh_logout(api: httpx.Client) -> None:
    player = register(api, "ada")
    me = api.get("/api/auth/me", headers=player.headers)
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
    assert "password" not in me.text

    # Registering a known e-mail answers as for a new one (nothing reveals who plays), and changes nothing.
    again = api.post(
        "/api/auth/register", json={"email": "ADA@example.com", "password": PASSWORD, "display_name": "x"}
    )
    first = api.post(
        "/api/auth/register",
        json={"email": "newcomer@example.com", "password": PASSWORD, "display_name": "n"},
    )
    assert (again.status_code, again.json()) == (first.status_code, first.json()) == (202, again.json())
    assert api.get("/api/auth/me", headers=player.headers).json()["display_name"] == "ada"
    wrong = api.post("/api/auth/login", json={"email": "ada@example.com", "password": "not the password"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "e-mail or password is wrong"
    unknown = api.post("/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    assert unknown.status_code == 401
    short = api.post(
        "/api/auth/register", json={"email": "b@example.com", "password": "short", "display_name": "b"}
    )
    assert short.status_code == 400
    assert "password" in short.text

    refreshed = api.post("/api/auth/refresh", json={"refresh_token": player.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    pair = refreshed.json()
    assert api.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code == 200
    # A refresh token is rotated; the replaced one, used again after the grace period, ends its session.
    later = api.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert later.status_code == 200
    reused = api.post("/api/auth/refresh", json={"refresh_token": player.refresh_token})
    assert reused.status_code == 401
    assert "used before" in reused.json()["detail"]
    assert (
        api.post("/api/auth/refresh", json={"refresh_token": later.json()["refresh_token"]}).status_code
        == 401
    )
    # A refresh token is no access token, and an access token no refresh token.
    assert api.get("/api/auth/me", headers=bearer(pair["refresh_token"])).status_code == 401
    assert api.post("/api/auth/refresh", json={"refresh_token": pair["access_token"]}).status_code == 401

    fresh = api.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD}).json()
    out = api.post("/api/auth/logout", headers=bearer(fresh["access_token"]))
    assert out.status_code == 204
    assert api.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]}).status_code == 401


@pytest.mark.parametrize("kind", ["none", "expired", "forged", "alg-none", "wrong-audience", "wrong-issuer"])
def test_bad_access_tokens_get_401(api: httpx.Client, kind: str) -> None:
    player = register(api)
    good = jwt.encode(claims(player), JWT_SECRET, algorithm="HS256")
    assert api.get("/api/auth/me", headers=bearer(good)).status_code == 200  # the control
    headers = {
        "none": {},
        "expired": bearer(jwt.encode(claims(player, exp=int(datetime.now(UTC).timestamp()) - 1), JWT_SECRET)),
        "forged": bearer(jwt.encode(claims(player), "another secret of at least 32 bytes....", "HS256")),
        "alg-none": bearer(f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(player))}."),
        "wrong-audience": bearer(jwt.encode(claims(player, aud="gridscore:refresh"), JWT_SECRET, "HS256")),
        "wrong-issuer": bearer(jwt.encode(claims(player, iss="someone-else"), JWT_SECRET, "HS256")),
    }[kind]
    for path in ("/api/auth/me", "/api/teams", "/api/leagues"):
        response = api.get(path, headers=headers)
        assert response.status_code == 401, (kind, path, response.text)
        assert response.json()["detail"]


def test_a_token_kept_decoded_still_expires(api: httpx.Client) -> None:
    """The API keeps a checked token decoded (api/domain/accounts/guards.py): once its exp has passed it
    is refused as a token never seen would be."""
    player = register(api)
    exp = int(datetime.now(UTC).timestamp()) + 2
    token = bearer(jwt.encode(claims(player, exp=exp), JWT_SECRET, algorithm="HS256"))
    assert api.get("/api/auth/me", headers=token).status_code == 200  # decoded and kept
    assert api.get("/api/auth/me", headers=token).status_code == 200
    time.sleep(max(0.0, exp + 0.2 - datetime.now(UTC).timestamp()))
    expired = api.get("/api/auth/me", headers=token)
    assert expired.status_code == 401, expired.text


@pytest.fixture
def limited_api(api_config: ApiConfig, db: str, redis_client: redis.Redis) -> Iterator[httpx.Client]:
    """A second server whose login and registration allow 3 requests a minute per address."""
    config = replace(
        api_config, auth_rate_limit=3, auth_rate_unit="minute", rate_limit_namespace="gs:test:limited"
    )
    with serving(create_app(config)) as url, httpx.Client(base_url=url) as client:
        yield client


def test_login_and_registration_are_rate_limited(limited_api: httpx.Client) -> None:
    attempts = [
        limited_api.post(
            "/api/auth/login", json={"email": "x@example.com", "password": f"guess {i}"}
        ).status_code
        for i in range(5)
    ]
    assert attempts[:3] == [401, 401, 401]
    assert attempts[3:] == [429, 429]
    flooded = limited_api.post("/api/auth/login", json={"email": "x@example.com", "password": "guess"})
    assert flooded.status_code == 429
    assert flooded.json()["detail"]
    assert int(flooded.headers["RateLimit-Reset"]) > 0
    slashed = limited_api.post("/api/auth/login/", json={"email": "x@example.com", "password": "guess"})
    assert slashed.status_code == 429  # limited by route, not by the path's spelling
    signup = limited_api.post(
        "/api/auth/register", json={"email": "y@example.com", "password": PASSWORD, "display_name": "y"}
    )
    assert signup.status_code == 429
    assert limited_api.get("/api/meetings").status_code == 200  # other routes are not limited


def test_no_password_or_token_in_the_logs(api: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    player = register(api, "quiet")
    refreshed = api.post("/api/auth/refresh", json={"refresh_token": player.refresh_token}).json()
    api.get("/api/auth/me", headers=player.headers)
    api.post("/api/auth/login", json={"email": player.email, "password": "a wrong password"})
    api.get("/api/auth/me", headers=bearer("garbage.token.value"))
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert "POST /api/auth/login" in logged  # the access log is there...
    secrets = [PASSWORD, "a wrong password", player.refresh_token, refreshed["access_token"]]
    secrets += [refreshed["refresh_token"], player.headers["Authorization"].split()[1], "garbage.token.value"]
    for secret in secrets:  # ...but no secret is in it
        assert secret not in logged
