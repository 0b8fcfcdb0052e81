"""Registers the log notifier: alerts as structured log records. The default notifier."""

from __future__ import annotations

from galfriday.adapters.log.notifier import LogNotifier
from galfriday.hookspecs import RegisterAdapter, hookimpl


@hookimpl
def galfriday_register_notifiers(register: RegisterAdapter) -> None:
    register("log", lambda ctx: LogNotifier(logger_name=str(ctx.settings.get("logger", "galfriday.alerts"))))
