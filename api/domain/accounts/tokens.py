"""JWTs: short-lived access tokens (checked by JWTAuth) and refresh tokens, both bound to one login (`sid`).

A session's pair is a pure function of its row (user, session id, current refresh id, rotation time):
HS256 is deterministic, so two tabs that refresh with the same token within the grace period get the
very same pair without the server keeping any token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import jwt
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import Token

from api.config import ApiConfig
from api.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "gridscore"
ACCESS_AUDIENCE = "gridscore:access"
REFRESH_AUDIENCE = "gridscore:refresh"
SESSION_CLAIM = "sid"


@dataclass(frozen=True, slots=True)
class SessionState:
    """What a session's current pair is made from (a row of auth_session)."""

    user_id: int
    session_id: str
    refresh_jti: str
    rotated_at: datetime
    expires_at: datetime  # the refresh token's expiry


@dataclass(frozen=True, slots=True)
class IssuedPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    user_id: int
    session_id: str
    jti: str


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    session_id: str


class TokenIssuer:
    def __init__(self, config: ApiConfig) -> None:
        self.config = config

    def pair(self, state: SessionState) -> IssuedPair:
        """The session's current pair; the same state always gives the same two strings."""
        access_exp = state.rotated_at + self.config.access_ttl
        common = {"sub": str(state.user_id), SESSION_CLAIM: state.session_id, "iss": ISSUER}
        issued = int(state.rotated_at.timestamp())
        access = {**common, "aud": ACCESS_AUDIENCE, "iat": issued, "exp": int(access_exp.timestamp())}
        refresh = {
            **common,
            "aud": REFRESH_AUDIENCE,
            "iat": issued,
            "exp": int(state.expires_at.timestamp()),
            "jti": state.refresh_jti,
        }
        return IssuedPair(
            jwt.encode(access, self.config.jwt_secret, ALGORITHM),
            jwt.encode(refresh, self.config.jwt_secret, ALGORITHM),
            access_exp,
            state.expires_at,
        )

    def _decode(self, encoded: str, audience: str, kind: str) -> Token:
        """Signature, algorithm, expiry, audience, issuer and session checked; 401 for anything else."""
        required = ["exp", "sub", "aud", "iss", SESSION_CLAIM] + (["jti"] if kind == "refresh" else [])
        try:
            token = Token.decode(
                encoded,
                self.config.jwt_secret,
                ALGORITHM,
                audience=audience,
                issuer=ISSUER,
                require_claims=required,
            )
        except NotAuthorizedException as exc:
            raise Unauthorized(f"the {kind} token is invalid or expired; log in again") from exc
        if not token.sub.isdigit() or not isinstance(token.extras.get(SESSION_CLAIM), str):
            raise Unauthorized(f"the {kind} token is invalid; log in again")
        return token

    def read_refresh(self, encoded: str) -> RefreshClaims:
        """The claims of a valid refresh token; 401 for anything expired, forged or not a refresh token."""
        token = self._decode(encoded, REFRESH_AUDIENCE, "refresh")
        if not isinstance(token.jti, str):
            raise Unauthorized("the refresh token is invalid; log in again")
        return RefreshClaims(int(token.sub), token.extras[SESSION_CLAIM], token.jti)

    def read_access(self, encoded: str) -> AccessClaims:
        """The claims of a valid access token, checked as JWTAuth checks it (for routes that take a token
        without the auth middleware, such as the live streams); 401 for anything else. The session may
        still have ended: ask the SessionGate."""
        token = self._decode(encoded, ACCESS_AUDIENCE, "access")
        return AccessClaims(int(token.sub), token.extras[SESSION_CLAIM])
