"""Back-test results: every out-of-sample structural forecast (for risk histories, ROC and
calibration on the dashboard); the scores themselves live in the run's ``meta``.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backtest_forecasts",
        sa.Column("run_id", sa.Integer(),
                  sa.ForeignKey("forecast_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("model", sa.String(60), primary_key=True),
        sa.Column("gwcode", sa.Integer(), primary_key=True),
        sa.Column("data_year", sa.Integer(), primary_key=True),
        sa.Column("iso3", sa.String(3), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("onset_next2", sa.Float(), nullable=True),
    )
    op.create_index("ix_backtest_forecasts_iso3", "backtest_forecasts", ["run_id", "iso3"])


def downgrade() -> None:
    op.drop_table("backtest_forecasts")
