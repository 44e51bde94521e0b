"""Monthly outlooks: each monthly run stores its 6-month outlook per country and target,
computed from the draws as paths, so every page, brief and alert reads one definition.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monthly_outlooks",
        sa.Column("run_id", sa.Integer(),
                  sa.ForeignKey("forecast_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("gwcode", sa.Integer(), primary_key=True),
        sa.Column("target", sa.String(30), primary_key=True),
        sa.Column("iso3", sa.String(3), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("expected_total", sa.Float(), nullable=False),
        sa.Column("p_month_ge_100", sa.Float(), nullable=False),
    )
    op.create_index("ix_monthly_outlooks_iso3", "monthly_outlooks", ["iso3"])


def downgrade() -> None:
    op.drop_index("ix_monthly_outlooks_iso3", "monthly_outlooks")
    op.drop_table("monthly_outlooks")
