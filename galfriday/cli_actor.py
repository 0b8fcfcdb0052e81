"""Who runs a `galfriday` command, as the audit trails record it (model stage moves, experiment promotions)."""

from __future__ import annotations

import getpass


def command_actor() -> str:
    """The login name of whoever runs the command; "cli" when the system cannot tell (no such user, no tty)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
