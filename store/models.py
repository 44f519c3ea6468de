"""SQLAlchemy 2 models: the F1 calendar and assets, results, and the users, leagues and teams scored.

Built on advanced-alchemy's bases (one metadata registry, audit columns) so that the API's
repositories and services and Alembic share them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
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
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from scoring.rules import DEFAULT_RULESET


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
    # Classified position (a constructor: its best-placed car); None when not classified (migration 0007).
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TeamResult(DefaultBase):
    """A team's points in one session, its weekend total after it, and its global rank then.

    Partitioned by session (migration 0004): the final writer loads a session's rows into a new
    partition and swaps it in.
    """

    __tablename__ = "team_result"

    session_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    session_points: Mapped[int] = mapped_column(Integer)
    weekend_points: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)

    __table_args__ = {"postgresql_partition_by": "LIST (session_key)"}


# -- the players -------------------------------------------------------------------
class User(IdentityAuditBase):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))  # anonymised then


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
    ruleset: Mapped[str] = mapped_column(String(50), default=DEFAULT_RULESET)

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


# -- the API's game state (migration 0002) ----------------------------------------------
class AssetPrice(DefaultBase):
    """An asset's price (millions) for one race week."""

    __tablename__ = "asset_price"

    meeting_key: Mapped[int] = mapped_column(
        ForeignKey("meeting.meeting_key", ondelete="CASCADE"), primary_key=True
    )
    asset_kind: Mapped[AssetKind] = mapped_column(
        Enum(
            AssetKind,
            name="asset_kind",
            values_callable=lambda e: [m.value for m in e],
            create_type=False,
        ),
        primary_key=True,
    )
    asset_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    price: Mapped[Decimal] = mapped_column(Numeric(5, 1))

    __table_args__ = (CheckConstraint("price > 0", name="price_positive"),)


class TeamSelection(DefaultBase):
    """A team's current picks, edited through the week; copied into Roster when the weekend locks."""

    __tablename__ = "team_selection"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    drivers: Mapped[list[str]] = mapped_column(ARRAY(String(3)))
    constructors: Mapped[list[str]] = mapped_column(ARRAY(String(100)))
    boost_driver: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        CheckConstraint("cardinality(drivers) = 5", name="five_drivers"),
        CheckConstraint("cardinality(constructors) = 2", name="two_constructors"),
    )


class MeetingLock(DefaultBase):
    """The moment a weekend's rosters were locked (written once by lock_rosters)."""

    __tablename__ = "meeting_lock"

    meeting_key: Mapped[int] = mapped_column(
        ForeignKey("meeting.meeting_key", ondelete="CASCADE"), primary_key=True
    )
    locked_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    rosters: Mapped[int] = mapped_column(Integer)


class TeamWeek(DefaultBase):
    """A team's transfers in one race week, settled at lock: how many, how many were free, the penalty."""

    __tablename__ = "team_week"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    meeting_key: Mapped[int] = mapped_column(
        ForeignKey("meeting.meeting_key", ondelete="CASCADE"), primary_key=True, index=True
    )
    transfers: Mapped[int] = mapped_column(Integer)
    free_transfers: Mapped[int] = mapped_column(Integer)
    penalty: Mapped[int] = mapped_column(Integer)
    chip: Mapped[str | None] = mapped_column(String(20))


class ChipPlay(IdentityAuditBase):
    """A chip played by a team: once a season each, at most one a week."""

    __tablename__ = "chip_play"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    season: Mapped[int] = mapped_column(Integer)
    meeting_key: Mapped[int] = mapped_column(ForeignKey("meeting.meeting_key", ondelete="CASCADE"))
    chip: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)

    __table_args__ = (
        UniqueConstraint("team_id", "season", "chip", name="uq_chip_play_once_a_season"),
        UniqueConstraint("team_id", "meeting_key", name="uq_chip_play_one_a_week"),
    )


class AuthSession(DefaultBase):
    """One login on one device: a refresh-token family (migration 0005).

    Only the current refresh token's id is valid, and the one it replaced for a few seconds (two tabs
    refreshing at once get the same new pair, made again from `rotated_at`); any older one is a reuse,
    which ends this session only. Access tokens carry the session's id and die with it.
    """

    __tablename__ = "auth_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    refresh_jti: Mapped[str] = mapped_column(String(64))
    previous_jti: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    rotated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


# -- notifications (tasks/, migration 0003) ----------------------------------------------------
class Notification(IdentityAuditBase):
    """One notice to one user about one event. The unique key makes the row the delivery ledger:
    a fan-out inserts it if absent, and each channel is sent only while its `*_at` is still null."""

    __tablename__ = "notification"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # results_final, lock_reminder
    session_key: Mapped[int] = mapped_column(ForeignKey("race_session.session_key", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB)
    mqtt_due: Mapped[bool] = mapped_column(Boolean, default=True)
    email_due: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    email_error: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        UniqueConstraint("kind", "session_key", "user_id", name="uq_notification_kind_session_user"),
        Index("ix_notification_user_id_id", "user_id", "id"),
        Index(
            "ix_notification_pending",
            "created_at",
            postgresql_where="(mqtt_due AND published_at IS NULL) OR (email_due AND emailed_at IS NULL)",
        ),
    )


class NotificationOutbox(DefaultBase):
    """The transactional outbox between the engine and the worker: the final-results writer puts a
    (kind, session_key) row here in the transaction that commits the session's results, and each
    later write of the session marks it written again (`written_at`, `relayed_at` cleared). The worker
    relays a row once it has been quiet a few seconds (a classification lands in batches), then sets
    `relayed_at`: an event is never lost with the engine's broker down, nor told from results that
    were rolled back."""

    __tablename__ = "notification_outbox"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)  # results_final
    session_key: Mapped[int] = mapped_column(
        ForeignKey("race_session.session_key", ondelete="CASCADE"), primary_key=True
    )
    written_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    relayed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        Index("ix_notification_outbox_due", "written_at", postgresql_where="relayed_at IS NULL"),
    )
