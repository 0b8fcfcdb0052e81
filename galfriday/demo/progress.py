"""What the demo shows while it runs: numbered steps, one line per thing that happened, a spinner while it waits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType


class Narrator:
    """Prints the demo's steps to a rich console."""

    def __init__(self, console: Console, steps: int) -> None:
        self.console = console
        self._steps = steps
        self._step = 0

    def step(self, title: str) -> None:
        self._step += 1
        self.console.rule(f"[bold cyan]{self._step}/{self._steps}[/] {title}", align="left")

    def say(self, text: str) -> None:
        self.console.print(f"  {text}", highlight=False)

    def show(self, renderable: RenderableType) -> None:
        self.console.print(renderable)

    @contextmanager
    def waiting(self, what: str) -> Iterator[None]:
        """A spinner naming what the demo waits for (on a terminal; nothing otherwise)."""
        with self.console.status(f"[dim]{what}...[/]", spinner="dots"):
            yield
