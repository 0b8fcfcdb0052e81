"""galfriday: the operational core of a crypto trading system, as a plugin-based hexagon."""

__version__ = "0.1.0"
