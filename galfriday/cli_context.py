"""The object every `galfriday` command receives: where the configuration comes from."""

from __future__ import annotations

from pathlib import Path

from galfriday.config import Config, load_config


class CliContext:
    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path

    def config(self) -> Config:
        """Load the configuration now: the file (if any), then the environment."""
        return load_config(self.config_path)
