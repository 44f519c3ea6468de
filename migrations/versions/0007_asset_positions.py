"""asset_result: the classification position of each driver (and each constructor's best car)

Revision ID: 0007
Revises: 0006

Season results show where each driver and constructor finished each weekend, not only its points.
Rows written before this revision have no position (NULL) until their session is scored again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("asset_result", sa.Column("position", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("asset_result", "position")
