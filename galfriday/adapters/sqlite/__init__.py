"""The SQLite store: the embedded default (`GALFRIDAY_STORE=sqlite`, a file path as DSN)."""
