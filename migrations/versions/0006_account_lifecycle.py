"""user_account: e-mail verification and account deletion times

Revision ID: 0006
Revises: 0005

A deleted account keeps its row (its teams' results stay, anonymous) with its personal data removed.
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.add_column("user_account", sa.Column("email_verified_at", _TIME, nullable=True))
    op.add_column("user_account", sa.Column("deleted_at", _TIME, nullable=True))


def downgrade() -> None:
    op.drop_column("user_account", "deleted_at")
    op.drop_column("user_account", "email_verified_at")
