"""Accounts: registration and log-in (argon2), password change, and sessions (refresh-token families)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import cast

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import ApiConfig
from api.domain.accounts.gate import SessionGate
from api.domain.accounts.tokens import RefreshClaims, SessionState
from api.errors import ErrorCode, Unauthorized
from api.lib.password_policy import check_password
from api.lib.passwords import Passwords
from store.models import AuthSession, User

SESSION_ENDED = "this session has ended (logged out, or expired); log in again"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_id() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 bits


def state_of(row: AuthSession) -> SessionState:
    return SessionState(row.user_id, row.id, row.refresh_jti, row.rotated_at, row.expires_at)


class UserService(SQLAlchemyAsyncRepositoryService[User]):
    class Repo(SQLAlchemyAsyncRepository[User]):
        model_type = User

    repository_type = Repo

    async def register(self, passwords: Passwords, email: str, password: str, display_name: str) -> None:
        """Create the account unless the e-mail has one. Either way the caller learns nothing: the same
        checks and the same hashing run, and nothing is returned."""
        email = normalise_email(email)
        await check_password(password, email, display_name)
        password_hash = await passwords.hash(password)
        now = datetime.now(UTC)
        await self.repository.session.execute(
            insert(User)
            .values(
                email=email,
                display_name=display_name.strip(),
                password_hash=password_hash,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["email"])
        )

    async def authenticate(self, passwords: Passwords, email: str, password: str) -> User:
        user = await self.get_one_or_none(User.email == normalise_email(email))
        if not await passwords.verify(user.password_hash if user else None, password) or user is None:
            raise Unauthorized("e-mail or password is wrong", code=ErrorCode.WRONG_CREDENTIALS)
        return user

    async def change_password(self, passwords: Passwords, user_id: int, current: str, new: str) -> None:
        user = await self.get_one_or_none(User.id == user_id)
        if user is None or not await passwords.verify(user.password_hash, current):
            raise Unauthorized("the current password is wrong", code=ErrorCode.WRONG_CREDENTIALS)
        await check_password(new, user.email, user.display_name)
        user.password_hash = await passwords.hash(new)
        await self.repository.session.flush()


class SessionService(SQLAlchemyAsyncRepositoryService[AuthSession]):
    """One row per login (a refresh-token family); see store.models.AuthSession."""

    class Repo(SQLAlchemyAsyncRepository[AuthSession]):
        model_type = AuthSession

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return cast(AsyncSession, self.repository.session)

    async def start(self, config: ApiConfig, user_id: int) -> SessionState:
        """A new login; the user's ended and expired sessions are cleared away."""
        now = datetime.now(UTC)
        await self.session.execute(
            delete(AuthSession).where(
                AuthSession.user_id == user_id,
                or_(AuthSession.revoked_at.is_not(None), AuthSession.expires_at <= now),
            )
        )
        row = AuthSession(
            id=new_id(),
            user_id=user_id,
            refresh_jti=new_id(),
            created_at=now,
            rotated_at=now,
            expires_at=self._expiry(config, now, now),
        )
        self.session.add(row)
        await self.session.flush()
        return state_of(row)

    async def refresh(
        self, config: ApiConfig, gate: SessionGate, claims: RefreshClaims, grace: timedelta
    ) -> SessionState:
        """Rotate the session's refresh token. The token it replaced still gets the same new pair for
        `grace` (two tabs); any older one means it leaked: this session ends, other devices stay."""
        now = datetime.now(UTC)
        row = await self.session.scalar(
            select(AuthSession).where(AuthSession.id == claims.session_id).with_for_update()
        )
        if (
            row is None
            or row.user_id != claims.user_id
            or row.revoked_at is not None
            or row.expires_at <= now
        ):
            raise Unauthorized(SESSION_ENDED, code=ErrorCode.SESSION_ENDED)
        if claims.jti == row.refresh_jti:
            row.previous_jti, row.refresh_jti, row.rotated_at = row.refresh_jti, new_id(), now
            row.expires_at = self._expiry(config, row.created_at, now)
            await self.session.flush()
            return state_of(row)
        if claims.jti == row.previous_jti and now - row.rotated_at <= grace:
            return state_of(row)
        row.revoked_at = now
        await self.session.commit()  # the revocation stands although this request fails
        await gate.ended([row.id])
        raise Unauthorized(
            "this refresh token was used before, so this session was ended to be safe (your other"
            " devices stay logged in); log in again",
            code=ErrorCode.SESSION_ENDED,
        )

    async def end(
        self, gate: SessionGate, user_id: int, *, only: str | None = None, keep: str | None = None
    ) -> int:
        """End one session of the user (`only`), or all of them but `keep`; commits. How many ended."""
        query = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        if only is not None:
            query = query.where(AuthSession.id == only)
        if keep is not None:
            query = query.where(AuthSession.id != keep)
        ended = list(
            await self.session.scalars(query.values(revoked_at=datetime.now(UTC)).returning(AuthSession.id))
        )
        await self.session.commit()
        await gate.ended(ended)
        return len(ended)

    @staticmethod
    def _expiry(config: ApiConfig, created: datetime, now: datetime) -> datetime:
        """A refresh token lives refresh_ttl, and no session outlives session_max_age from its login."""
        return min(now + config.refresh_ttl, created + config.session_max_age)
