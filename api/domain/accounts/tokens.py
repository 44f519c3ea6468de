"""JWTs: short-lived access tokens (checked by JWTAuth) and refresh tokens (rotated, tracked by id)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import Token

from api.config import ApiConfig
from api.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "gridscore"
ACCESS_AUDIENCE = "gridscore:access"
REFRESH_AUDIENCE = "gridscore:refresh"


@dataclass(frozen=True, slots=True)
class IssuedRefresh:
    token: str
    jti: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    user_id: int
    jti: str


class TokenIssuer:
    def __init__(self, config: ApiConfig) -> None:
        self.config = config

    def access(self, user_id: int) -> str:
        return self._encode(user_id, ACCESS_AUDIENCE, datetime.now(UTC) + self.config.access_ttl).encode(
            self.config.jwt_secret, ALGORITHM
        )

    def refresh(self, user_id: int) -> IssuedRefresh:
        expires = datetime.now(UTC) + self.config.refresh_ttl
        token = self._encode(user_id, REFRESH_AUDIENCE, expires)
        return IssuedRefresh(token.encode(self.config.jwt_secret, ALGORITHM), str(token.jti), token.exp)

    def _decode(self, encoded: str, audience: str, required: str, kind: str) -> Token:
        """Signature, algorithm, expiry, audience and issuer checked; 401 for anything else."""
        try:
            return Token.decode(
                encoded,
                self.config.jwt_secret,
                ALGORITHM,
                audience=audience,
                issuer=ISSUER,
                require_claims=["exp", required, "aud", "iss"],
            )
        except NotAuthorizedException as exc:
            raise Unauthorized(f"the {kind} token is invalid or expired; log in again") from exc

    def read_refresh(self, encoded: str) -> RefreshClaims:
        """The claims of a valid refresh token; 401 for anything expired, forged or not a refresh token."""
        token = self._decode(encoded, REFRESH_AUDIENCE, "jti", "refresh")
        if not token.sub.isdigit() or not isinstance(token.jti, str):
            raise Unauthorized("the refresh token is invalid; log in again")
        return RefreshClaims(int(token.sub), token.jti)

    def read_access(self, encoded: str) -> int:
        """The user id of a valid access token, checked as JWTAuth checks it (for routes that take a token
        without the auth middleware, such as the live streams); 401 for anything else."""
        token = self._decode(encoded, ACCESS_AUDIENCE, "sub", "access")
        if not token.sub.isdigit():
            raise Unauthorized("the access token is invalid; log in again")
        return int(token.sub)

    @staticmethod
    def _encode(user_id: int, audience: str, expires: datetime) -> Token:
        return Token(exp=expires, sub=str(user_id), iss=ISSUER, aud=audience, jti=secrets.token_urlsafe(24))
