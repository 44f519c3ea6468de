"""Authentication: JWT bearer access tokens on every route that does not opt out."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from api.config import ApiConfig
from api.domain.accounts.tokens import ACCESS_AUDIENCE, ALGORITHM, ISSUER


class CurrentUser(msgspec.Struct, frozen=True):
    """Who is calling, from the access token's subject (stateless: tokens live minutes)."""

    id: int


async def current_user_from_token(
    token: Token, connection: ASGIConnection[Any, Any, Any, Any]
) -> CurrentUser | None:
    return CurrentUser(int(token.sub)) if token.sub.isdigit() else None


def build_jwt_auth(config: ApiConfig) -> JWTAuth[CurrentUser, Token]:
    return JWTAuth[CurrentUser, Token](
        token_secret=config.jwt_secret,
        retrieve_user_handler=current_user_from_token,
        algorithm=ALGORITHM,
        default_token_expiration=config.access_ttl,
        accepted_audiences=[ACCESS_AUDIENCE],
        accepted_issuers=[ISSUER],
        require_claims=["exp", "sub", "aud", "iss"],
        exclude=["^/schema", "^/health$"],
        description="An access token from POST /api/auth/login (or /api/auth/refresh).",
    )
