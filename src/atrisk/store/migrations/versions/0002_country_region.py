"""Countries get their region (for filters on the dashboard).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("countries") as batch:
        batch.add_column(sa.Column("region", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("countries") as batch:
        batch.drop_column("region")
