"""The application store (SQLAlchemy 2 + Alembic): published forecasts and, later, what
analysts write. SQLite by default, PostgreSQL when ``ATRISK_DATABASE_URL`` says so."""
