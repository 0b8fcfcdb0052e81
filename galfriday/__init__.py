"""galfriday: the operational core of a crypto trading system, as a plugin-based hexagon."""

__version__ = "0.1.0"

from galfriday.hookspecs import hookimpl

__all__ = ["__version__", "hookimpl"]
