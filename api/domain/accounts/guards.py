"""Authentication: `Authorization: Bearer <access token>` on every route that does not opt out, and the
token's session still open (SessionGate), so that logging out ends access tokens at once."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.middleware import AuthenticationResult
from litestar.openapi.spec import Components, SecurityScheme
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from api.config import ApiConfig
from api.domain.accounts.gate import SessionGate
from api.domain.accounts.tokens import ACCESS_AUDIENCE, ALGORITHM, ISSUER, SESSION_CLAIM
from api.errors import ErrorCode, Unauthorized

UNAUTHENTICATED_PATHS = ("^/schema", "^/health$")  # besides the routes that opt out
BEARER_ONLY = "send the access token as `Authorization: Bearer <access token>`"


class CurrentUser(msgspec.Struct, frozen=True):
    """Who is calling, and from which login (the access token's `sid`)."""

    id: int
    session_id: str


class BearerAuth(JWTAuth[CurrentUser, Token]):
    """Litestar's JWT auth, documented as a valid OpenAPI 3.1 HTTP bearer scheme (Litestar's has a `name`,
    which only `apiKey` schemes may have)."""

    @property
    def openapi_components(self) -> Components:
        return Components(
            security_schemes={
                self.openapi_security_scheme_name: SecurityScheme(
                    type="http", scheme="bearer", bearer_format="JWT", description=self.description
                )
            }
        )


def bearer_token(header: str) -> str:
    """The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 7235); 401 for
    any other scheme (Basic, Token...), a bare token, or more than one token."""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized(BEARER_ONLY)
    return token


class BearerAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware takes whatever follows the first space, whatever the scheme."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get(self.auth_header)
        if not header:
            raise Unauthorized(f"no access token: {BEARER_ONLY}")
        return await self.authenticate_token(bearer_token(header), connection)


def build_jwt_auth(config: ApiConfig, gate: SessionGate) -> JWTAuth[CurrentUser, Token]:
    async def current_user(
        token: Token, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> CurrentUser | None:
        session_id = token.extras.get(SESSION_CLAIM)
        if not token.sub.isdigit() or not isinstance(session_id, str):
            return None
        if await gate.user_of(session_id) != int(token.sub):
            raise Unauthorized(
                "this session has ended (logged out, or the password changed); log in again",
                code=ErrorCode.SESSION_ENDED,
            )
        return CurrentUser(int(token.sub), session_id)

    return BearerAuth(
        token_secret=config.jwt_secret,
        retrieve_user_handler=current_user,
        algorithm=ALGORITHM,
        default_token_expiration=config.access_ttl,
        accepted_audiences=[ACCESS_AUDIENCE],
        accepted_issuers=[ISSUER],
        require_claims=["exp", "sub", "aud", "iss", SESSION_CLAIM],
        exclude=list(UNAUTHENTICATED_PATHS),
        authentication_middleware_class=BearerAuthenticationMiddleware,
        description="An access token from POST /api/auth/login (or /api/auth/refresh), sent as "
        "`Authorization: Bearer <token>`.",
    )
