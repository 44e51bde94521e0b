"""Server-rendered pages for analysts; charts with Vega-Lite, served by us (never a CDN)."""
