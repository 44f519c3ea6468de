"""notification_outbox: the engine's final results tell the worker through a table, not a broker call

Revision ID: 0008
Revises: 0007

The final-results writer inserts (or marks written again) a row in the transaction that commits a
session's results; a Celery task relays the rows that have been quiet for a few seconds. The partial
index serves that relay's look for rows not relayed yet.
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("session_key", sa.Integer(), nullable=False),
        sa.Column("written_at", _TIME, nullable=False),
        sa.Column("relayed_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["session_key"],
            ["race_session.session_key"],
            name=op.f("fk_notification_outbox_session_key_race_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kind", "session_key", name=op.f("pk_notification_outbox")),
    )
    op.create_index(
        "ix_notification_outbox_due",
        "notification_outbox",
        ["written_at"],
        unique=False,
        postgresql_where=sa.text("relayed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_due", table_name="notification_outbox")
    op.drop_table("notification_outbox")
