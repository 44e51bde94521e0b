"""How sure each country's rank is: its chance of a top-10 and a top-30 place across the
bootstrap refits and its 80% rank interval (empty for runs made before).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = (("p_top10", sa.Float()), ("p_top30", sa.Float()), ("rank_low", sa.Integer()),
           ("rank_high", sa.Integer()))


def upgrade() -> None:
    with op.batch_alter_table("structural_forecasts") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("structural_forecasts") as batch:
        for name, _ in COLUMNS:
            batch.drop_column(name)
