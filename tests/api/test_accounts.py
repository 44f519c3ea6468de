"""An account's life over real HTTP, real Redis and PostgreSQL, with its e-mails sent by a real Celery
worker to a real SMTP server: profile edit, e-mail verification, password reset by a single-use e-mailed
code, export of one's data, and deletion (personal data gone, the team's results kept, anonymous)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from store.urls import libpq_url
from tests.api.helpers import JAPAN, PASSWORD, Player, create_team, register, seed_weekend
from tests.api.mailbox import Mailbox, celery_worker, smtp_server

NEW_PASSWORD = "another horse battery staple"


@pytest.fixture
def mailbox(db: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path) -> Iterator[Mailbox]:
    """The SMTP server and a worker that takes the API's mail tasks from its broker (the test Redis)."""
    with smtp_server() as (box, port):
        env = {
            "DATABASE_URL": db,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_FROM": "game@gridscore.test",
            "GRIDSCORE_DATA_DIR": str(tmp_path / "data"),
            "LOG_FORMAT": "text",
        }
        with celery_worker(env, tmp_path / "worker.log"):
            yield box


def log_in(api: httpx.Client, email: str, password: str) -> httpx.Response:
    return api.post("/api/auth/login", json={"email": email, "password": password})


def test_verify_edit_reset_export_and_delete(api: httpx.Client, db: str, mailbox: Mailbox) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    player = register(api, "ada")
    assert api.get("/api/auth/me", headers=player.headers).json()["email_verified"] is False

    # Verification: a code by e-mail, once.
    assert api.post("/api/auth/verification", headers=player.headers).status_code == 202
    code = Mailbox.code(mailbox.wait_for(player.email, "Confirm"))
    confirmed = api.post("/api/auth/verification/confirm", json={"code": code}, headers=player.headers)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email_verified"] is True
    again = api.post("/api/auth/verification/confirm", json={"code": code}, headers=player.headers)
    assert (again.status_code, again.json()["code"]) == (401, "token_invalid")

    # Profile: a new name and e-mail; the new e-mail is unverified until its own code comes back.
    seen = mailbox.count()
    edited = api.patch(
        "/api/auth/me", json={"display_name": "Ada L", "email": "Ada.New@Example.com"}, headers=player.headers
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["display_name"], edited.json()["email"]) == ("Ada L", "ada.new@example.com")
    assert edited.json()["email_verified"] is False
    code = Mailbox.code(mailbox.wait_for("ada.new@example.com", "Confirm", after=seen))
    assert api.post("/api/auth/verification/confirm", json={"code": code}, headers=player.headers).json()[
        "email_verified"
    ]
    other = register(api, "bea")
    taken = api.patch("/api/auth/me", json={"email": "ada.new@example.com"}, headers=other.headers)
    assert (taken.status_code, taken.json()["code"]) == (409, "duplicate")

    # Password reset: the same answer for an unknown e-mail, and no mail for it.
    seen = mailbox.count()
    unknown = api.post("/api/auth/password-reset", json={"email": "nobody@example.com"})
    known = api.post("/api/auth/password-reset", json={"email": "ada.new@example.com"})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    message = mailbox.wait_for("ada.new@example.com", "Reset", after=seen)
    assert all(m["To"] != "nobody@example.com" for m in mailbox.messages)
    code = Mailbox.code(message)
    weak = api.post("/api/auth/password-reset/confirm", json={"code": code, "new_password": "password1234"})
    assert (weak.status_code, weak.json()["code"]) == (400, "weak_password")  # the code still works
    reset = api.post("/api/auth/password-reset/confirm", json={"code": code, "new_password": NEW_PASSWORD})
    assert reset.status_code == 204, reset.text
    assert api.get("/api/auth/me", headers=player.headers).json()["code"] == "session_ended"
    used = api.post("/api/auth/password-reset/confirm", json={"code": code, "new_password": NEW_PASSWORD})
    assert used.json()["code"] == "token_invalid"
    assert log_in(api, "ada.new@example.com", PASSWORD).status_code == 401
    tokens = log_in(api, "ada.new@example.com", NEW_PASSWORD)
    assert tokens.status_code == 200
    ada = Player(
        player.id, "ada.new@example.com", {"Authorization": f"Bearer {tokens.json()['access_token']}"}, ""
    )

    # Export: everything about the player, as JSON.
    team = create_team(api, ada, "Ada Racing")
    export = api.get("/api/auth/me/export", headers=ada.headers)
    assert export.status_code == 200
    body = export.json()
    assert body["account"]["email"] == "ada.new@example.com"
    assert [t["name"] for t in body["teams"]] == ["Ada Racing"]
    assert body["teams"][0]["leagues"]  # the global league

    # Deletion: the password confirms; the e-mail, name and password are gone; the team stays, renamed.
    wrong = api.post("/api/auth/me/delete", json={"password": "not my password"}, headers=ada.headers)
    assert wrong.json()["code"] == "wrong_credentials"
    assert (
        api.post("/api/auth/me/delete", json={"password": NEW_PASSWORD}, headers=ada.headers).status_code
        == 204
    )
    assert api.get("/api/auth/me", headers=ada.headers).status_code == 401
    assert log_in(api, "ada.new@example.com", NEW_PASSWORD).status_code == 401
    with psycopg.connect(libpq_url(db)) as conn:
        row = conn.execute(
            "SELECT email, display_name, password_hash, deleted_at IS NOT NULL"
            " FROM user_account WHERE id = %s",
            (ada.id,),
        ).fetchone()
        names = [r[0] for r in conn.execute("SELECT name FROM team WHERE user_id = %s", (ada.id,))]
    assert row is not None
    email, name, password_hash, deleted = row
    assert "ada" not in email
    assert (name, deleted) == ("deleted player", True)
    assert not password_hash.startswith("$argon2")
    assert names == [f"Team {team}"]
    # The e-mail is free again for a new account.
    again_registered = api.post(
        "/api/auth/register",
        json={"email": "ada.new@example.com", "password": PASSWORD, "display_name": "Ada"},
    )
    assert again_registered.status_code == 202
    assert log_in(api, "ada.new@example.com", PASSWORD).status_code == 200
