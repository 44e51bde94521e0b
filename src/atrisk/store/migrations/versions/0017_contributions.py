"""Every predictor's push on each country's log-odds, so that two runs can be compared
driver by driver (``forecasting.movers``); empty for runs stored before.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("structural_forecasts") as batch:
        batch.add_column(sa.Column("contributions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("structural_forecasts") as batch:
        batch.drop_column("contributions")
