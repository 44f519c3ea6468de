"""tasks: the notification table (one row per event and user, the delivery ledger)

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26 07:00:00

Hand-written for the tasks' own table only. The unique (kind, session_key, user_id) key is what
makes notification fan-outs idempotent; the partial index serves beat's sweep for rows not sent.
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PENDING = "(mqtt_due AND published_at IS NULL) OR (email_due AND emailed_at IS NULL)"


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", _ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("session_key", sa.Integer(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "cockroachdb")
            .with_variant(advanced_alchemy.types.json.ORA_JSONB(), "oracle")
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("mqtt_due", sa.Boolean(), nullable=False),
        sa.Column("email_due", sa.Boolean(), nullable=False),
        sa.Column("published_at", _TIME, nullable=True),
        sa.Column("emailed_at", _TIME, nullable=True),
        sa.Column("email_error", sa.String(length=500), nullable=True),
        sa.Column("read_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_key"],
            ["race_session.session_key"],
            name=op.f("fk_notification_session_key_race_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("kind", "session_key", "user_id", name="uq_notification_kind_session_user"),
    )
    op.create_index("ix_notification_user_id_id", "notification", ["user_id", "id"], unique=False)
    op.create_index(
        "ix_notification_pending", "notification", ["created_at"], unique=False, postgresql_where=_PENDING
    )


def downgrade() -> None:
    op.drop_index("ix_notification_pending", table_name="notification", postgresql_where=_PENDING)
    op.drop_index("ix_notification_user_id_id", table_name="notification")
    op.drop_table("notification")
