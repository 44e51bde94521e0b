"""Watching the news between data releases: news-coded events (GDELT) read, cleaned and
counted per country-day and admin-1-day by one Ibis pipeline on DuckDB or Spark
(``pipeline``), and turned into escalation signals (``signals``)."""
