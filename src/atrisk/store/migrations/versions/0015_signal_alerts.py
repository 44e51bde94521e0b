"""An alert may come from a news signal (rule kind ``signal_level``), not a forecast run: its
``run_id`` may be empty.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("run_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM alerts WHERE run_id IS NULL")
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("run_id", existing_type=sa.Integer(), nullable=False)
