"""Forecasts for the coming years, stored with what made them."""
