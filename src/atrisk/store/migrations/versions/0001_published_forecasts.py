"""Countries and published forecast runs (structural and monthly).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "countries",
        sa.Column("gwcode", sa.Integer(), primary_key=True),
        sa.Column("iso3", sa.String(3), nullable=False),
        sa.Column("ccode", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("last_year", sa.Integer(), nullable=False),
    )
    op.create_index("ix_countries_iso3", "countries", ["iso3"])
    op.create_table(
        "forecast_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(60), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
    )
    op.create_index("ix_forecast_runs_kind", "forecast_runs", ["kind"])
    op.create_table(
        "structural_forecasts",
        sa.Column("run_id", sa.Integer(),
                  sa.ForeignKey("forecast_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("gwcode", sa.Integer(), primary_key=True),
        sa.Column("iso3", sa.String(3), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("low_80", sa.Float(), nullable=True),
        sa.Column("high_80", sa.Float(), nullable=True),
        sa.Column("probability_1yr", sa.Float(), nullable=False),
        sa.Column("drivers", sa.JSON(), nullable=False),
    )
    op.create_index("ix_structural_forecasts_iso3", "structural_forecasts", ["iso3"])
    op.create_table(
        "monthly_forecasts",
        sa.Column("run_id", sa.Integer(),
                  sa.ForeignKey("forecast_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("gwcode", sa.Integer(), primary_key=True),
        sa.Column("target", sa.String(30), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("iso3", sa.String(3), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        *[sa.Column(c, sa.Float(), nullable=False) for c in
          ("mean", "median", "q10", "q90", "p_ge_1", "p_ge_25", "p_ge_100", "p_ge_1000")],
    )
    op.create_index("ix_monthly_forecasts_iso3", "monthly_forecasts", ["iso3"])


def downgrade() -> None:
    op.drop_table("monthly_forecasts")
    op.drop_table("structural_forecasts")
    op.drop_table("forecast_runs")
    op.drop_table("countries")
