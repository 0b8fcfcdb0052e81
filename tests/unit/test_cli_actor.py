"""The actor a CLI command records is whoever runs it."""

from __future__ import annotations

import pytest

from galfriday.cli_actor import command_actor


def test_the_actor_is_the_login_name_of_whoever_runs_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "alice")

    assert command_actor() == "alice"
