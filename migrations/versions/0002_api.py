"""api: prices per race week, team selections, locks, transfers, chips, refresh tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:23:54.505431
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "asset_price",
        sa.Column("meeting_key", sa.Integer(), nullable=False),
        sa.Column(
            "asset_kind",
            postgresql.ENUM("driver", "constructor", name="asset_kind", create_type=False),
            nullable=False,
        ),
        sa.Column("asset_name", sa.String(length=100), nullable=False),
        sa.Column("price", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.CheckConstraint("price > 0", name=op.f("ck_asset_price_price_positive")),
        sa.ForeignKeyConstraint(
            ["meeting_key"],
            ["meeting.meeting_key"],
            name=op.f("fk_asset_price_meeting_key_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_key", "asset_kind", "asset_name", name=op.f("pk_asset_price")),
    )
    op.create_table(
        "meeting_lock",
        sa.Column("meeting_key", sa.Integer(), nullable=False),
        sa.Column("locked_at", _TIME, nullable=False),
        sa.Column("rosters", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_key"],
            ["meeting.meeting_key"],
            name=op.f("fk_meeting_lock_meeting_key_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_key", name=op.f("pk_meeting_lock")),
    )
    op.create_table(
        "refresh_token",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_refresh_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refresh_token")),
    )
    op.create_index(op.f("ix_refresh_token_user_id"), "refresh_token", ["user_id"], unique=False)
    op.create_table(
        "chip_play",
        sa.Column("id", _ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("team_id", _ID, nullable=False),
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("meeting_key", sa.Integer(), nullable=False),
        sa.Column("chip", sa.String(length=20), nullable=False),
        sa.Column(
            "detail",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "cockroachdb")
            .with_variant(advanced_alchemy.types.json.ORA_JSONB(), "oracle")
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_key"],
            ["meeting.meeting_key"],
            name=op.f("fk_chip_play_meeting_key_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_chip_play_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chip_play")),
        sa.UniqueConstraint("team_id", "meeting_key", name="uq_chip_play_one_a_week"),
        sa.UniqueConstraint("team_id", "season", "chip", name="uq_chip_play_once_a_season"),
    )
    op.create_index(op.f("ix_chip_play_team_id"), "chip_play", ["team_id"], unique=False)
    op.create_table(
        "team_selection",
        sa.Column("team_id", _ID, nullable=False),
        sa.Column("drivers", sa.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("constructors", sa.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("boost_driver", sa.String(length=3), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.CheckConstraint("cardinality(constructors) = 2", name=op.f("ck_team_selection_two_constructors")),
        sa.CheckConstraint("cardinality(drivers) = 5", name=op.f("ck_team_selection_five_drivers")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_team_selection_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_selection")),
    )
    op.create_table(
        "team_week",
        sa.Column("team_id", _ID, nullable=False),
        sa.Column("meeting_key", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("free_transfers", sa.Integer(), nullable=False),
        sa.Column("penalty", sa.Integer(), nullable=False),
        sa.Column("chip", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_key"],
            ["meeting.meeting_key"],
            name=op.f("fk_team_week_meeting_key_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_team_week_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "meeting_key", name=op.f("pk_team_week")),
    )
    op.create_index(op.f("ix_team_week_meeting_key"), "team_week", ["meeting_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_team_week_meeting_key"), table_name="team_week")
    op.drop_table("team_week")
    op.drop_table("team_selection")
    op.drop_index(op.f("ix_chip_play_team_id"), table_name="chip_play")
    op.drop_table("chip_play")
    op.drop_index(op.f("ix_refresh_token_user_id"), table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_table("meeting_lock")
    op.drop_table("asset_price")
