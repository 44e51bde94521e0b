"""Teams: users belong to teams; alert rules (and their alerts) may belong to a team, so
every member sees them and any member acknowledges them.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    with op.batch_alter_table("alert_rules") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_alert_rules_team", "teams", ["team_id"], ["id"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_alerts_team", "teams", ["team_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("fk_alerts_team", type_="foreignkey")
        batch.drop_column("team_id")
    with op.batch_alter_table("alert_rules") as batch:
        batch.drop_constraint("fk_alert_rules_team", type_="foreignkey")
        batch.drop_column("team_id")
    op.drop_table("team_members")
    op.drop_table("teams")
