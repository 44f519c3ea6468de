"""Authentication: `Authorization: Bearer <access token>` on every route that does not opt out, and the
token's session still open (SessionGate), so that logging out ends access tokens at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
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


MAX_DECODED = 100_000  # tokens kept decoded per process (the oldest go first)


class DecodedTokens:
    """Access tokens already checked (signature, algorithm, audience, issuer, claims), each kept until its
    `exp`: a race's reads send the same token again and again, and PyJWT's check of an HMAC key and
    signature was an eighth of a loaded API's samples. Keyed by the secret too, so that a token is only
    ever taken as checked under the secret that checked it. The session is still asked each time (the
    gate), so a logout still ends the token at once."""

    def __init__(self, max_entries: int = MAX_DECODED) -> None:
        self.max_entries = max_entries
        self._tokens: dict[tuple[str, str], Token] = {}

    def get(self, secret: str, encoded: str) -> Token | None:
        token = self._tokens.get((secret, encoded))
        if token is not None and token.exp <= datetime.now(UTC):
            del self._tokens[(secret, encoded)]  # expired since: decoding again says 401, as before
            return None
        return token

    def put(self, secret: str, encoded: str, token: Token) -> None:
        self._tokens[(secret, encoded)] = token
        while len(self._tokens) > self.max_entries:
            del self._tokens[next(iter(self._tokens))]


class BearerAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware takes whatever follows the first space, whatever the scheme; this one asks
    for the Bearer scheme, and decodes each token once while it lasts (DecodedTokens)."""

    decoded = DecodedTokens()  # one per process: Litestar builds a middleware per route

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get(self.auth_header)
        if not header:
            raise Unauthorized(f"no access token: {BEARER_ONLY}")
        return await self.authenticate_token(bearer_token(header), connection)

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """JWTAuthenticationMiddleware.authenticate_token with the decoded token kept until its expiry."""
        token = self.decoded.get(self.token_secret, encoded_token)
        if token is None:
            token = self.token_cls.decode(
                encoded_token=encoded_token,
                secret=self.token_secret,
                algorithm=self.algorithm,
                audience=self.token_audience,
                issuer=self.token_issuer,
                require_claims=self.require_claims,
                verify_exp=self.verify_expiry,
                verify_nbf=self.verify_not_before,
                strict_audience=self.strict_audience,
            )
            self.decoded.put(self.token_secret, encoded_token, token)
        user = await self.retrieve_user_handler(token, connection)
        revoked = bool(self.revoked_token_handler and await self.revoked_token_handler(token, connection))
        if not user or revoked:
            raise NotAuthorizedException()
        return AuthenticationResult(user=user, auth=token)


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
