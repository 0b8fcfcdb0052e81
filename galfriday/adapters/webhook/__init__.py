"""Alerts posted as JSON to an HTTP webhook (aiohttp)."""
