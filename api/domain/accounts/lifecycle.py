"""An account's life after registration: profile edits, e-mail verification, password reset by e-mail,
export of one's data, and deletion (personal data removed; teams and their results stay, anonymous)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from litestar.di import NamedDependency
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.accounts.mail import AccountMail
from api.domain.accounts.services import normalise_email
from api.errors import Conflict, ErrorCode, Unauthorized
from api.lib.password_policy import check_password
from api.lib.passwords import Passwords
from store.models import (
    ChipPlay,
    League,
    LeagueMember,
    Notification,
    Roster,
    Team,
    TeamSelection,
    TeamWeek,
    User,
)

DELETED_NAME = "deleted player"
UNUSABLE_HASH = "!"
BAD_CODE = "this code is unknown, used already or expired; ask for a new one"


class AccountLife:
    def __init__(self, session: AsyncSession, mail: AccountMail) -> None:
        self.session = session
        self.mail = mail

    async def user(self, user_id: int, *, for_update: bool = False) -> User:
        user = await self.session.get(User, user_id, with_for_update=for_update)
        if user is None or user.deleted_at is not None:
            raise Unauthorized("this account no longer exists; register again")
        return user

    async def edit(self, user_id: int, display_name: str | None, email: str | None) -> User:
        """New display name and/or e-mail; a new e-mail is unverified until its code comes back."""
        user = await self.user(user_id, for_update=True)
        if display_name is not None:
            user.display_name = display_name.strip()
        if email is not None and normalise_email(email) != user.email:
            email = normalise_email(email)
            taken = await self.session.scalar(select(User.id).where(User.email == email))
            if taken is not None:
                raise Conflict("another account uses this e-mail", code=ErrorCode.DUPLICATE)
            user.email, user.email_verified_at = email, None
            await self.session.flush()
            await self.mail.verification(user.id, email)
        await self.session.flush()
        return user

    async def ask_verification(self, user_id: int) -> None:
        user = await self.user(user_id)
        if user.email_verified_at is None:
            await self.mail.verification(user.id, user.email)

    async def verify(self, token: str) -> User:
        user_id = await self.mail.verifications.redeem(token)
        if user_id is None:
            raise Unauthorized(BAD_CODE, code=ErrorCode.TOKEN_INVALID)
        user = await self.user(user_id, for_update=True)
        user.email_verified_at = user.email_verified_at or datetime.now(UTC)
        await self.session.flush()
        return user

    async def ask_reset(self, email: str) -> None:
        """Mail a reset code if the e-mail has an account; the caller learns nothing either way."""
        user = await self.session.scalar(
            select(User).where(User.email == normalise_email(email), User.deleted_at.is_(None))
        )
        if user is not None:
            await self.mail.reset(user.id, user.email)

    async def reset(self, passwords: Passwords, token: str, password: str) -> int:
        """Set the new password of the code's account; the caller ends its sessions. The user id."""
        holder = await self.mail.resets.holder(token)
        if holder is None:
            raise Unauthorized(BAD_CODE, code=ErrorCode.TOKEN_INVALID)
        user = await self.user(holder, for_update=True)
        await check_password(password, user.email, user.display_name)  # a refused password keeps the code
        if await self.mail.resets.redeem(token) != user.id:  # used meanwhile by another request
            raise Unauthorized(BAD_CODE, code=ErrorCode.TOKEN_INVALID)
        user.password_hash = await passwords.hash(password)
        user.email_verified_at = user.email_verified_at or datetime.now(UTC)  # the code came by e-mail
        await self.session.flush()
        return user.id

    async def delete(self, passwords: Passwords, user_id: int, password: str) -> None:
        """Remove the personal data: e-mail, name, password, notifications; teams get neutral names and
        keep their results (leagues' tables stay whole); owned leagues lose their owner."""
        user = await self.user(user_id, for_update=True)
        if not await passwords.verify(user.password_hash, password):
            raise Unauthorized("the password is wrong", code=ErrorCode.WRONG_CREDENTIALS)
        now = datetime.now(UTC)
        user.email = f"deleted-{user.id}@deleted.invalid"
        user.display_name = DELETED_NAME
        user.password_hash = UNUSABLE_HASH
        user.email_verified_at = None
        user.deleted_at = now
        for team in await self.session.scalars(select(Team).where(Team.user_id == user.id)):
            team.name = f"Team {team.id}"
        await self.session.execute(update(League).where(League.owner_id == user.id).values(owner_id=None))
        await self.session.execute(delete(Notification).where(Notification.user_id == user.id))
        await self.session.flush()

    async def export(self, user_id: int) -> dict[str, Any]:
        """Everything stored about the player, as JSON (GDPR art. 20)."""
        user = await self.user(user_id)
        teams = list(
            await self.session.scalars(select(Team).where(Team.user_id == user.id).order_by(Team.id))
        )
        ids = [t.id for t in teams]

        async def rows(model: Any, *order: Any) -> list[Any]:
            query = select(model).where(model.team_id.in_(ids)).order_by(*order)
            return list(await self.session.scalars(query))

        selections = {s.team_id: s for s in await rows(TeamSelection, TeamSelection.team_id)}
        rosters = await rows(Roster, Roster.team_id, Roster.meeting_key)
        weeks = await rows(TeamWeek, TeamWeek.team_id, TeamWeek.meeting_key)
        chips = await rows(ChipPlay, ChipPlay.id)
        members = await rows(LeagueMember, LeagueMember.team_id, LeagueMember.league_id)
        owned = list(await self.session.scalars(select(League).where(League.owner_id == user.id)))
        notes = list(
            await self.session.scalars(
                select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
            )
        )
        return {
            "account": {
                "id": user.id,
                "email": user.email,
                "display_name": user.display_name,
                "email_verified_at": _iso(user.email_verified_at),
                "created_at": _iso(user.created_at),
            },
            "teams": [
                {
                    "id": t.id,
                    "name": t.name,
                    "created_at": _iso(t.created_at),
                    "selection": _selection(selections.get(t.id)),
                    "rosters": [
                        {
                            "meeting_key": r.meeting_key,
                            "drivers": r.drivers,
                            "constructors": r.constructors,
                            "boost_driver": r.boost_driver,
                        }
                        for r in rosters
                        if r.team_id == t.id
                    ],
                    "weeks": [
                        {
                            "meeting_key": w.meeting_key,
                            "transfers": w.transfers,
                            "penalty": w.penalty,
                            "chip": w.chip,
                        }
                        for w in weeks
                        if w.team_id == t.id
                    ],
                    "chips": [
                        {
                            "chip": c.chip,
                            "season": c.season,
                            "meeting_key": c.meeting_key,
                            "played_at": _iso(c.created_at),
                        }
                        for c in chips
                        if c.team_id == t.id
                    ],
                    "leagues": [m.league_id for m in members if m.team_id == t.id],
                }
                for t in teams
            ],
            "leagues_owned": [{"id": lg.id, "name": lg.name} for lg in owned],
            "notifications": [
                {
                    "kind": n.kind,
                    "session_key": n.session_key,
                    "payload": n.payload,
                    "created_at": _iso(n.created_at),
                    "read_at": _iso(n.read_at),
                }
                for n in notes
            ],
        }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _selection(selection: TeamSelection | None) -> dict[str, Any] | None:
    if selection is None:
        return None
    return cast(
        dict[str, Any],
        {
            "drivers": selection.drivers,
            "constructors": selection.constructors,
            "boost_driver": selection.boost_driver,
        },
    )


def provide_life(
    db_session: NamedDependency[AsyncSession], account_mail: NamedDependency[AccountMail]
) -> AccountLife:
    return AccountLife(db_session, account_mail)
