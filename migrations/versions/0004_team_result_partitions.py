"""team_result partitioned by session: a session's million rows are loaded into a fresh table and
swapped in, so a final (or corrected) write never deletes row by row nor checks foreign keys.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TABLE team_result")
    op.execute(
        "CREATE TABLE team_result ("
        " session_key integer NOT NULL,"
        " team_id bigint NOT NULL,"
        " session_points integer NOT NULL,"
        " weekend_points integer NOT NULL,"
        " rank integer NOT NULL,"
        " CONSTRAINT pk_team_result PRIMARY KEY (session_key, team_id)"
        ") PARTITION BY LIST (session_key)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE team_result")
    op.execute(
        "CREATE TABLE team_result ("
        " session_key integer NOT NULL REFERENCES race_session (session_key) ON DELETE CASCADE,"
        " team_id bigint NOT NULL,"
        " session_points integer NOT NULL,"
        " weekend_points integer NOT NULL,"
        " rank integer NOT NULL,"
        " CONSTRAINT pk_team_result PRIMARY KEY (session_key, team_id))"
    )
    op.execute("CREATE INDEX ix_team_result_team ON team_result (team_id)")
