"""Adapters that write to the standard `logging` module."""
