"""Routes of the accounts domain: register, log in, refresh, log out (here or everywhere), change the
password, current user. How a frontend uses them: docs/auth.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from api.config import ApiConfig
from api.domain.accounts.gate import SessionGate
from api.domain.accounts.guards import CurrentUser
from api.domain.accounts.lifecycle import AccountLife, provide_life
from api.domain.accounts.schemas import (
    Accepted,
    LoginIn,
    PasswordChangeIn,
    ProfileIn,
    RefreshIn,
    RegisterIn,
    TokenPair,
    UserOut,
)
from api.domain.accounts.services import SessionService, UserService
from api.domain.accounts.tokens import SessionState, TokenIssuer
from api.errors import Unauthorized, responses
from api.lib.passwords import Passwords
from store.models import User

RATE_LIMITED = "auth_rate_limited"  # handler opt: counted by the app's auth rate limit
REGISTERED = "if this e-mail can be registered, its account is ready: log in with your password"
Req = Request[CurrentUser, Any, Any]


def user_out(user: User) -> UserOut:
    return UserOut(
        user.id, user.email, user.display_name, user.created_at, user.email_verified_at is not None
    )


def token_pair(issuer: TokenIssuer, state: SessionState) -> TokenPair:
    pair = issuer.pair(state)
    now = datetime.now(UTC)
    return TokenPair(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=max(0, int((pair.access_expires_at - now).total_seconds())),
        refresh_expires_in=max(0, int((pair.refresh_expires_at - now).total_seconds())),
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]
    dependencies = {
        "users": Provide(create_service_provider(UserService)),
        "sessions": Provide(create_service_provider(SessionService)),
        "life": Provide(provide_life, sync_to_thread=False),
    }

    @post(
        "/register",
        operation_id="register",
        summary="Create an account",
        exclude_from_auth=True,
        status_code=HTTP_202_ACCEPTED,
        responses=responses(400, 429),
        security=[{}],
        opt={RATE_LIMITED: True},
    )
    async def register(
        self,
        data: JSONBody[RegisterIn],
        users: NamedDependency[UserService],
        passwords: NamedDependency[Passwords],
    ) -> Accepted:
        """Create an account (rate-limited). The answer is the same whether or not the e-mail already has
        an account, so that nobody can find out who plays; then log in."""
        await users.register(passwords, data.email, data.password, data.display_name)
        return Accepted(REGISTERED)

    @post(
        "/login",
        operation_id="logIn",
        summary="Log in",
        exclude_from_auth=True,
        status_code=HTTP_200_OK,
        responses=responses(400, 401, 429),
        opt={RATE_LIMITED: True},
        security=[{}],
    )
    async def login(
        self,
        data: JSONBody[LoginIn],
        users: NamedDependency[UserService],
        sessions: NamedDependency[SessionService],
        issuer: NamedDependency[TokenIssuer],
        passwords: NamedDependency[Passwords],
    ) -> TokenPair:
        """Exchange e-mail and password for an access token and a refresh token: a new session
        (rate-limited)."""
        user = await users.authenticate(passwords, data.email, data.password)
        return token_pair(issuer, await sessions.start(issuer.config, user.id))

    @post(
        "/refresh",
        operation_id="refreshTokens",
        summary="Renew the tokens",
        exclude_from_auth=True,
        status_code=HTTP_200_OK,
        responses=responses(400, 401, 429),
        opt={RATE_LIMITED: True},
        security=[{}],
    )
    async def refresh(
        self,
        data: JSONBody[RefreshIn],
        sessions: NamedDependency[SessionService],
        issuer: NamedDependency[TokenIssuer],
        gate: NamedDependency[SessionGate],
    ) -> TokenPair:
        """Exchange the session's refresh token for a new pair (rate-limited). The same token again within
        a few seconds (another tab) gets the same new pair; later, it ends this session."""
        claims = issuer.read_refresh(data.refresh_token)
        config: ApiConfig = issuer.config
        return token_pair(issuer, await sessions.refresh(config, gate, claims, config.refresh_grace))

    @post(
        "/logout",
        operation_id="logOut",
        summary="Log out of this session",
        status_code=HTTP_204_NO_CONTENT,
        responses=responses(401),
    )
    async def logout(
        self, request: Req, sessions: NamedDependency[SessionService], gate: NamedDependency[SessionGate]
    ) -> None:
        """End the session of this access token: its access and refresh tokens stop working at once."""
        await sessions.end(gate, request.user.id, only=request.user.session_id)

    @post(
        "/logout-all",
        operation_id="logOutEverywhere",
        summary="Log out of every session",
        status_code=HTTP_204_NO_CONTENT,
        responses=responses(401),
    )
    async def logout_all(
        self, request: Req, sessions: NamedDependency[SessionService], gate: NamedDependency[SessionGate]
    ) -> None:
        """End every session of the account, this one included (log out everywhere)."""
        await sessions.end(gate, request.user.id)

    @post(
        "/password",
        operation_id="changePassword",
        summary="Change the password",
        status_code=HTTP_204_NO_CONTENT,
        responses=responses(400, 401, 429),
        opt={RATE_LIMITED: True},
    )
    async def change_password(
        self,
        data: JSONBody[PasswordChangeIn],
        request: Req,
        users: NamedDependency[UserService],
        sessions: NamedDependency[SessionService],
        passwords: NamedDependency[Passwords],
        gate: NamedDependency[SessionGate],
    ) -> None:
        """Change the password (the current one is needed; rate-limited). Every other session ends; this
        one goes on."""
        await users.change_password(passwords, request.user.id, data.current_password, data.new_password)
        await sessions.end(gate, request.user.id, keep=request.user.session_id)

    @get("/me", operation_id="getMe", summary="Your account", responses=responses(401))
    async def me(self, request: Req, users: NamedDependency[UserService]) -> UserOut:
        """The account of the access token."""
        user = await users.get_one_or_none(User.id == request.user.id)
        if user is None:
            raise Unauthorized("this account no longer exists; register again")
        return user_out(user)

    @patch("/me", operation_id="editProfile", summary="Edit your profile", responses=responses(400, 401, 409))
    async def edit(
        self, data: JSONBody[ProfileIn], request: Req, life: NamedDependency[AccountLife]
    ) -> UserOut:
        """Change your display name and/or e-mail. A new e-mail is unverified until you send back the code
        mailed to it (POST /api/auth/verification/confirm)."""
        return user_out(await life.edit(request.user.id, data.display_name, data.email))
