"""SQLAlchemy 2 models: the F1 calendar and assets, results, and the users, leagues and teams scored.

Built on advanced-alchemy's bases (one metadata registry, audit columns) so that the API's
repositories and services and Alembic share them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from advanced_alchemy.base import DefaultBase, IdentityAuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column


class SessionState(enum.StrEnum):
    UPCOMING = "upcoming"
    LIVE = "live"
    PROVISIONAL = "provisional"
    FINAL = "final"


class AssetKind(enum.StrEnum):
    DRIVER = "driver"
    CONSTRUCTOR = "constructor"


# -- the F1 calendar and assets ------------------------------------------------
class Meeting(DefaultBase):
    __tablename__ = "meeting"

    meeting_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    year: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(200))
    circuit: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    date_start: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class RaceSession(DefaultBase):
    """An OpenF1 session (named RaceSession to keep clear of SQLAlchemy's Session)."""

    __tablename__ = "race_session"

    session_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    meeting_key: Mapped[int] = mapped_column(
        ForeignKey("meeting.meeting_key", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(50))
    date_start: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    date_end: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    state: Mapped[SessionState] = mapped_column(
        Enum(SessionState, name="session_state", values_callable=lambda e: [m.value for m in e]),
        default=SessionState.UPCOMING,
    )


class Constructor(IdentityAuditBase):
    __tablename__ = "constructor"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    ergast_id: Mapped[str | None] = mapped_column(String(100), unique=True)


class Driver(IdentityAuditBase):
    __tablename__ = "driver"

    acronym: Mapped[str] = mapped_column(String(3), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    number: Mapped[int | None] = mapped_column(Integer)
    ergast_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    constructor_id: Mapped[int | None] = mapped_column(ForeignKey("constructor.id", ondelete="SET NULL"))


# -- results written by the flow ---------------------------------------------------
class AssetResult(DefaultBase):
    """An asset's points in one session, with the itemised breakdown."""

    __tablename__ = "asset_result"

    session_key: Mapped[int] = mapped_column(
        ForeignKey("race_session.session_key", ondelete="CASCADE"), primary_key=True
    )
    asset_kind: Mapped[AssetKind] = mapped_column(
        Enum(AssetKind, name="asset_kind", values_callable=lambda e: [m.value for m in e]), primary_key=True
    )
    asset_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JsonB)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class TeamResult(DefaultBase):
    """A team's points in one session, its weekend total after it, and its global rank then."""

    __tablename__ = "team_result"

    session_key: Mapped[int] = mapped_column(
        ForeignKey("race_session.session_key", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    session_points: Mapped[int] = mapped_column(Integer)
    weekend_points: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_team_result_team", "team_id"),)


# -- the players -------------------------------------------------------------------
class User(IdentityAuditBase):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))


class League(IdentityAuditBase):
    __tablename__ = "league"

    name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    invite_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    is_global: Mapped[bool] = mapped_column(Boolean, default=False)
    max_teams: Mapped[int | None] = mapped_column(Integer)
    ruleset: Mapped[str] = mapped_column(String(50), default="f1fantasy-2025")

    __table_args__ = (
        Index("uq_league_single_global", "is_global", unique=True, postgresql_where="is_global"),
    )


class Team(IdentityAuditBase):
    __tablename__ = "team"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_team_user_name"),)


class LeagueMember(DefaultBase):
    __tablename__ = "league_member"

    league_id: Mapped[int] = mapped_column(ForeignKey("league.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Roster(DefaultBase):
    """The roster in force for one weekend: what the flow scores for the team."""

    __tablename__ = "roster"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    meeting_key: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    drivers: Mapped[list[str]] = mapped_column(ARRAY(String(3)))
    constructors: Mapped[list[str]] = mapped_column(ARRAY(String(100)))
    boost_driver: Mapped[str] = mapped_column(String(3))
    extra_drs_driver: Mapped[str | None] = mapped_column(String(3))
    locked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        CheckConstraint("cardinality(drivers) = 5", name="ck_roster_five_drivers"),
        CheckConstraint("cardinality(constructors) = 2", name="ck_roster_two_constructors"),
    )
