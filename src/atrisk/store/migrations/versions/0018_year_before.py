"""Each structural forecast's risk from the year before's inputs under the same model and
data, so that two runs' change splits into the new year's data and revisions
(``forecasting.movers``); empty for runs stored before.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("structural_forecasts") as batch:
        batch.add_column(sa.Column("probability_year_before", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("structural_forecasts") as batch:
        batch.drop_column("probability_year_before")
