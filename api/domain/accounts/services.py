"""Accounts: registration and log-in (argon2), refresh-token rotation."""

from __future__ import annotations

from datetime import UTC, datetime

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import select, update

from api.domain.accounts.tokens import IssuedRefresh, RefreshClaims
from api.errors import Conflict, Unauthorized
from api.lib.passwords import Passwords
from store.models import RefreshToken, User


def normalise_email(email: str) -> str:
    return email.strip().lower()


class UserService(SQLAlchemyAsyncRepositoryService[User]):
    class Repo(SQLAlchemyAsyncRepository[User]):
        model_type = User

    repository_type = Repo

    async def register(self, passwords: Passwords, email: str, password: str, display_name: str) -> User:
        email = normalise_email(email)
        if await self.exists(User.email == email):
            raise Conflict("an account with this e-mail already exists; log in instead")
        user = User(
            email=email, display_name=display_name.strip(), password_hash=await passwords.hash(password)
        )
        return await self.create(user)

    async def authenticate(self, passwords: Passwords, email: str, password: str) -> User:
        user = await self.get_one_or_none(User.email == normalise_email(email))
        if not await passwords.verify(user.password_hash if user else None, password) or user is None:
            raise Unauthorized("e-mail or password is wrong")
        return user


class RefreshTokenService(SQLAlchemyAsyncRepositoryService[RefreshToken]):
    class Repo(SQLAlchemyAsyncRepository[RefreshToken]):
        model_type = RefreshToken

    repository_type = Repo

    async def remember(self, user_id: int, issued: IssuedRefresh) -> None:
        await self.create(RefreshToken(jti=issued.jti, user_id=user_id, expires_at=issued.expires_at))

    async def consume(self, claims: RefreshClaims) -> None:
        """Use a refresh token once. A second use means it leaked: every token of the user is revoked."""
        session = self.repository.session
        now = datetime.now(UTC)
        row = await session.scalar(
            select(RefreshToken).where(RefreshToken.jti == claims.jti).with_for_update()
        )
        if row is None or row.user_id != claims.user_id or row.expires_at <= now:
            raise Unauthorized("the refresh token is unknown or expired; log in again")
        if row.revoked_at is not None:
            await self.revoke_all(claims.user_id)
            await session.commit()  # the revocation stands although this request fails
            raise Unauthorized("the refresh token was already used, so every session was ended; log in again")
        row.revoked_at = now

    async def revoke(self, claims: RefreshClaims) -> None:
        await self.repository.session.execute(
            update(RefreshToken)
            .where(RefreshToken.jti == claims.jti, RefreshToken.user_id == claims.user_id)
            .values(revoked_at=datetime.now(UTC))
        )

    async def revoke_all(self, user_id: int) -> None:
        await self.repository.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
