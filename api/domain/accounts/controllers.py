"""Routes of the accounts domain: register, log in, refresh, log out, current user."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.domain.accounts.guards import CurrentUser
from api.domain.accounts.schemas import LoginIn, RefreshIn, RegisterIn, TokenPair, UserOut
from api.domain.accounts.services import RefreshTokenService, UserService
from api.domain.accounts.tokens import TokenIssuer
from api.errors import Unauthorized, responses
from api.lib.passwords import Passwords
from store.models import User

RATE_LIMITED = "auth_rate_limited"  # handler opt: counted by the app's auth rate limit


def user_out(user: User) -> UserOut:
    return UserOut(user.id, user.email, user.display_name, user.created_at)


async def issue_pair(
    user_id: int, issuer: NamedDependency[TokenIssuer], refresh_tokens: NamedDependency[RefreshTokenService]
) -> TokenPair:
    refresh = issuer.refresh(user_id)
    await refresh_tokens.remember(user_id, refresh)
    return TokenPair(
        access_token=issuer.access(user_id),
        refresh_token=refresh.token,
        expires_in=int(issuer.config.access_ttl.total_seconds()),
        refresh_expires_in=int(issuer.config.refresh_ttl.total_seconds()),
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]
    dependencies = {
        "users": Provide(create_service_provider(UserService)),
        "refresh_tokens": Provide(create_service_provider(RefreshTokenService)),
    }

    @post(
        "/register",
        exclude_from_auth=True,
        responses=responses(409, 429),
        security=[{}],
        opt={RATE_LIMITED: True},
    )
    async def register(
        self,
        data: JSONBody[RegisterIn],
        users: NamedDependency[UserService],
        passwords: NamedDependency[Passwords],
    ) -> UserOut:
        """Create an account (rate-limited per client address)."""
        return user_out(await users.register(passwords, data.email, data.password, data.display_name))

    @post(
        "/login",
        exclude_from_auth=True,
        status_code=HTTP_200_OK,
        responses=responses(401, 429),
        opt={RATE_LIMITED: True},
        security=[{}],
    )
    async def login(
        self,
        data: JSONBody[LoginIn],
        users: NamedDependency[UserService],
        refresh_tokens: NamedDependency[RefreshTokenService],
        issuer: NamedDependency[TokenIssuer],
        passwords: NamedDependency[Passwords],
    ) -> TokenPair:
        """Exchange e-mail and password for an access token and a refresh token (rate-limited)."""
        user = await users.authenticate(passwords, data.email, data.password)
        return await issue_pair(user.id, issuer, refresh_tokens)

    @post(
        "/refresh", exclude_from_auth=True, status_code=HTTP_200_OK, responses=responses(401), security=[{}]
    )
    async def refresh(
        self,
        data: JSONBody[RefreshIn],
        refresh_tokens: NamedDependency[RefreshTokenService],
        issuer: NamedDependency[TokenIssuer],
    ) -> TokenPair:
        """Exchange a refresh token (used once) for a new pair."""
        claims = issuer.read_refresh(data.refresh_token)
        await refresh_tokens.consume(claims)
        return await issue_pair(claims.user_id, issuer, refresh_tokens)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, responses=responses(401))
    async def logout(
        self,
        data: JSONBody[RefreshIn],
        request: Request[CurrentUser, Any, Any],
        refresh_tokens: NamedDependency[RefreshTokenService],
        issuer: NamedDependency[TokenIssuer],
    ) -> None:
        """Revoke a refresh token of the caller."""
        claims = issuer.read_refresh(data.refresh_token)
        if claims.user_id != request.user.id:
            raise Unauthorized("this refresh token belongs to another account")
        await refresh_tokens.revoke(claims)

    @get("/me", responses=responses(401))
    async def me(
        self, request: Request[CurrentUser, Any, Any], users: NamedDependency[UserService]
    ) -> UserOut:
        """The account of the access token."""
        user = await users.get_one_or_none(User.id == request.user.id)
        if user is None:
            raise Unauthorized("this account no longer exists; register again")
        return user_out(user)
