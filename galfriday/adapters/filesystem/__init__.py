"""Artifacts as files in a directory: atomic writes, never overwritten, sha256 verified on every read."""
