"""Who acknowledged an alert: one member's acknowledgement closes a team's alert for all of
them, so the others must see who took it.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_alerts_acknowledged_by", "users",
                                 ["acknowledged_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("fk_alerts_acknowledged_by", type_="foreignkey")
        batch.drop_column("acknowledged_by_id")
