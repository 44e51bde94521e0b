"""The REST API (FastAPI): published forecasts and countries, one JSON error shape."""
